import HHStandIn

// Everything lives in the library: top-level code here is main-actor isolated (see StandInCommand).
StandInCommand.main()
