import Drover
import WelcomeJobs

DroverApp.main(handlers: welcomeHandlers)   // your own `drover` binary
