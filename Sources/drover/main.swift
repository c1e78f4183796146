import Drover

// A synchronous entry point: see DroverCommand for why. Apps build their own binary the same
// way, with their handlers: `DroverApp.main(handlers: [AnyJobHandler(MyJob())])`.
DroverApp.main()
