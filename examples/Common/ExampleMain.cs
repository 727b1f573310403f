using System.CommandLine;
using Kfac.Serialization;

namespace Kfac.Examples;

/// <summary>
/// The examples' entry point around System.CommandLine: a user error (a <see cref="UserInputException"/>: bad
/// options, bad or missing files, bad checkpoints, MPI or a device missing; or the I/O and data errors the
/// loaders raise, which name their file) prints ONE line <c>error: MESSAGE</c> to standard error and exits with
/// <see cref="UserErrorExitCode"/>; a command line that does not parse does the same. Any other exception is a
/// bug: it propagates with its stack trace (exit code 134 or the runtime's).
/// </summary>
public static class ExampleMain
{
    /// <summary>Exit code for user errors (usage, input files, checkpoints). 0 is success; 1 is reserved for
    /// an example's own "failed" result; unhandled bugs exit with the runtime's code (e.g. 134, SIGABRT).</summary>
    public const int UserErrorExitCode = 2;

    /// <summary>Parses <paramref name="args"/> and runs <paramref name="root"/>'s action; see the class summary.</summary>
    public static int Invoke(RootCommand root, string[] args)
    {
        ArgumentNullException.ThrowIfNull(root);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            Console.Error.WriteLine($"error: {string.Join("; ", parse.Errors.Select(e => e.Message))} (see --help)");
            return UserErrorExitCode;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (UserMessage(e) is { } message)
        {
            Console.Out.Flush();
            Console.Error.WriteLine($"error: {message}");
            return UserErrorExitCode;
        }
    }

    /// <summary>The one-line message of a user error, or null for a bug. User errors: <see cref="UserInputException"/>
    /// (ours, naming the file or option), and the exceptions the loaders and file APIs raise for bad or missing
    /// files (<see cref="InvalidDataException"/>, <see cref="FileNotFoundException"/>,
    /// <see cref="DirectoryNotFoundException"/>, <see cref="UnauthorizedAccessException"/>), whose messages name the
    /// file. Exceptions wrapped by an aggregate or a type initializer are unwrapped.</summary>
    public static string? UserMessage(Exception e)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } or TypeInitializationException && e.InnerException is not null) e = e.InnerException;
        return e switch
        {
            UserInputException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException
                => OneLine(e.Message),
            _ => null,
        };
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
