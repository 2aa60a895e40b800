/// Stops the process with `message` when a route is registered wrongly (a programming error, found
/// at start). Not `precondition`: an optimized build drops its message and dies with a bare
/// SIGILL, which tells the operator nothing.
func registrationCheck(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}
