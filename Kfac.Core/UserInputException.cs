namespace Kfac;

/// <summary>
/// The base of the errors a user can fix without touching the code: a bad option, a malformed or truncated
/// data file, a checkpoint that does not fit or holds invalid values, a missing directory. Programs (the
/// examples) catch this type and print its message as one line with no stack trace; any other exception is a
/// bug and keeps its stack trace. The message names the file or option and the problem.
/// </summary>
public class UserInputException : Exception
{
    /// <summary>An error whose <paramref name="message"/> names the file or option and the problem.</summary>
    public UserInputException(string message) : base(message)
    {
    }

    /// <summary>An error caused by <paramref name="inner"/> (kept for diagnosis).</summary>
    public UserInputException(string message, Exception? inner) : base(message, inner)
    {
    }
}
