// DroverSystem: the one Swift module that calls Glibc.
