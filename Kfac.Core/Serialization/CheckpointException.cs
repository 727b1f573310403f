namespace Kfac.Serialization;

/// <summary>A checkpoint that cannot be used: missing, unreadable, truncated, holding a non-finite tensor, an
/// out-of-range value, an unknown or missing key, or not matching the model/optimizer it is loaded into. The
/// message starts with the file; nothing was changed in the model or optimizer when this is thrown.</summary>
public sealed class CheckpointException : UserInputException
{
    /// <summary>The problem <paramref name="problem"/> found in checkpoint <paramref name="file"/>.</summary>
    public CheckpointException(string file, string problem, Exception? inner = null)
        : base($"checkpoint '{file}': {problem}", inner)
    {
        File = file;
        Problem = problem;
    }

    /// <summary>The checkpoint's path.</summary>
    public string File { get; }

    /// <summary>What is wrong, without the file name.</summary>
    public string Problem { get; }
}
