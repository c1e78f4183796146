// DroverSupervisor: the single-threaded master (see issue 4).
