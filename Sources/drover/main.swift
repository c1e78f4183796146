import Drover

// A synchronous entry point: see DroverCommand for why.
DroverCommand.main()
