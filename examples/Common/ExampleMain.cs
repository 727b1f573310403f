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

    /// <summary>Throws a <see cref="UsageException"/> with <paramref name="message"/> (which names the option and
    /// the value) unless <paramref name="ok"/>: the examples' one-line option checks, run before any work.</summary>
    public static void Require(bool ok, string message)
    {
        if (!ok) throw new UsageException(message);
    }

    /// <summary>Checks that <paramref name="value"/> of <paramref name="option"/> is at least 1.</summary>
    public static void RequirePositive(string option, long value) => Require(value > 0, $"{option} must be positive; got {value}");

    /// <summary>Checks that <paramref name="value"/> of <paramref name="option"/> is a finite number &gt; 0 (a
    /// learning rate, a standard deviation); null (the option left out) passes.</summary>
    public static void RequireFinitePositive(string option, double? value) =>
        Require(value is null || (double.IsFinite(value.Value) && value > 0), $"{option} must be a finite positive number; got {value}");

    /// <summary>Checks that <paramref name="value"/> of <paramref name="option"/> is a fraction in (0, 1].</summary>
    public static void RequireFraction(string option, double value) => Require(value is > 0 and <= 1, $"{option} must be in (0, 1]; got {value}");

    /// <summary>Splits a comma-separated <paramref name="option"/> value ("all" gives <paramref name="known"/>) and
    /// checks every name against <paramref name="known"/>, so that a typo fails before the first method runs.</summary>
    public static string[] NamesFrom(string option, string value, string[] known)
    {
        ArgumentNullException.ThrowIfNull(known);
        string lower = (value ?? "").Trim().ToLowerInvariant();
        var names = lower == "all" ? known : lower.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Require(names.Length > 0, $"{option} needs at least one of {string.Join(", ", known)} or all; got '{value}'");
        foreach (var n in names)
            Require(Array.IndexOf(known, n) >= 0, $"{option}: unknown '{n}'; known: {string.Join(", ", known)} or all");
        return names;
    }

    /// <summary>Checks that <paramref name="path"/> of <paramref name="option"/> names a .png file the run can write.</summary>
    public static void RequirePngPath(string option, string? path)
    {
        if (path is null) return;
        Require(path.EndsWith(".png", StringComparison.OrdinalIgnoreCase), $"{option} must name a .png file; got '{path}'");
        OptionRules.WritableFile(option, path);
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
