namespace Kfac.Serialization;

/// <summary>
/// Replaces a file all at once: readers (and a crash at any point) see either the old contents or the
/// complete new ones, never a half-written file. A checkpoint written while the process is killed must not
/// destroy the previous good checkpoint.
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// Calls <paramref name="write"/> with a stream on a temporary file in the same directory as
    /// <paramref name="path"/> (same directory, so the final rename stays on one file system and is atomic),
    /// flushes it to the disk, then renames it over <paramref name="path"/>. If <paramref name="write"/>
    /// throws, the temporary file is deleted, any existing file at <paramref name="path"/> is left as it was,
    /// and the exception propagates.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath)
            ?? throw new ArgumentException($"'{path}' has no parent directory", nameof(path));
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"cannot write '{fullPath}': directory '{directory}' does not exist");

        RemoveStaleTemporaries(fullPath);
        string tempPath = TempPathFor(fullPath);
        try
        {
            // CreateNew: never reuse (and so never clobber) someone else's temporary file.
            using (var stream = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                write(stream);
                // Flush(true) asks the OS to put the bytes on the disk (fsync) before the rename makes them
                // visible; without it a power loss after the rename can leave an empty or partial file.
                stream.Flush(flushToDisk: true);
            }
            // rename(2) on Unix, MoveFileEx(REPLACE_EXISTING) on Windows: atomic within one directory. The
            // directory entry itself is not fsynced (.NET has no API for it); after a power cut the rename may
            // be undone, which still leaves a complete old file, never a partial one.
            File.Move(tempPath, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(tempPath);
            throw;
        }
    }

    /// <summary><see cref="Write(string, Action{Stream})"/> for contents already in memory.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        // A span cannot be captured by the lambda; copy once (callers with large data use Write directly).
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    /// <summary><see cref="Write(string, Action{Stream})"/> for UTF-8 text (no byte-order mark).</summary>
    public static void WriteAllText(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));
    }

    /// <summary>
    /// Deletes the temporary files that writers of <paramref name="path"/> killed mid-write (SIGKILL, power cut)
    /// left behind (".NAME.GUID.tmp" beside it). Called before each write and by programs at start-up. Only one
    /// writer of a given path at a time is supported: a concurrent writer's temporary file would be removed too
    /// (its rename then fails loudly; nothing is corrupted). Returns how many files were removed.
    /// </summary>
    public static int RemoveStaleTemporaries(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = Path.GetFullPath(path);
        string? directory = Path.GetDirectoryName(fullPath);
        if (directory is null || !Directory.Exists(directory)) return 0;
        int removed = 0;
        foreach (string stale in Directory.EnumerateFiles(directory, $".{Path.GetFileName(fullPath)}.*.tmp"))
        {
            if (!IsTempNameFor(Path.GetFileName(stale), Path.GetFileName(fullPath))) continue;
            TryDelete(stale);
            if (!File.Exists(stale)) removed++;
        }
        return removed;
    }

    /// <summary>True for ".NAME.&lt;32 hex digits&gt;.tmp", the names <see cref="TempPathFor"/> makes.</summary>
    private static bool IsTempNameFor(string candidate, string name)
    {
        string prefix = "." + name + ".";
        if (!candidate.StartsWith(prefix, StringComparison.Ordinal) || !candidate.EndsWith(".tmp", StringComparison.Ordinal)) return false;
        var guid = candidate.AsSpan(prefix.Length, candidate.Length - prefix.Length - ".tmp".Length);
        return guid.Length == 32 && Guid.TryParseExact(guid, "N", out _);
    }

    // Hidden (leading dot), tagged with the target name so a leftover after a hard crash is recognisable,
    // and random so two writers of the same file do not collide.
    internal static string TempPathFor(string fullPath) =>
        Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");

    private static void TryDelete(string tempPath)
    {
        try
        {
            File.Delete(tempPath);
        }
        catch (IOException)
        {
            // Best effort: the original exception matters more than a leftover temporary file.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
