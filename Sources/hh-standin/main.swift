// Everything lives in StandInCommand.swift: top-level code here is main-actor isolated.
StandInCommand.main()
