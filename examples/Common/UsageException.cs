namespace Kfac.Examples;

/// <summary>A bad command line: an option out of range, options that contradict each other, a path that cannot
/// be written. <see cref="ExampleMain"/> prints it as one line and exits with <see cref="ExampleMain.UserErrorExitCode"/>.</summary>
public sealed class UsageException(string message, Exception? inner = null) : UserInputException(message, inner);
