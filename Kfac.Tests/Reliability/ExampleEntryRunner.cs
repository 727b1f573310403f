using System.CommandLine;
using Kfac.Examples;
using NUnit.Framework;

namespace Kfac.Tests.Reliability;

/// <summary>
/// Runs an example's root command in-process through <see cref="ExampleMain.Invoke"/>, exactly as its Program.cs
/// does, with standard output and error captured and a time limit (a user error must not hang), and checks the
/// user-error contract: exit code 2, exactly one line <c>error: ...</c> on stderr naming the option or file, no
/// stack trace.
/// </summary>
internal static class ExampleEntryRunner
{
    public const int TimeLimitSeconds = 60;

    public sealed record Outcome(int ExitCode, string Out, string Error);

    /// <summary>Runs <paramref name="root"/> with <paramref name="arguments"/>, split on spaces, after replacing
    /// "{dir}" with <paramref name="dir"/>.</summary>
    public static Outcome Run(RootCommand root, string arguments, string dir)
    {
        var args = arguments.Replace("{dir}", dir).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var (oldOut, oldError) = (Console.Out, Console.Error);
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            var run = Task.Run(() => ExampleMain.Invoke(root, args));
            Assert.That(Task.WaitAny([run], TimeSpan.FromSeconds(TimeLimitSeconds)), Is.EqualTo(0), $"'{arguments}' finished within {TimeLimitSeconds} s (no hang)");
            return new Outcome(run.Result, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldError);
        }
    }

    /// <summary>Asserts the user-error contract; <paramref name="expected"/> is a part of the message (the option or file).</summary>
    public static void AssertUserError(Outcome o, string expected)
    {
        Assert.That(o.ExitCode, Is.EqualTo(ExampleMain.UserErrorExitCode), o.Out + o.Error);
        var lines = o.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), "exactly one line on stderr: " + o.Error);
        Assert.That(lines[0], Does.StartWith("error: ").And.Contain(expected));
        Assert.That(o.Error + o.Out, Does.Not.Contain("   at "), "no stack trace");
    }
}
