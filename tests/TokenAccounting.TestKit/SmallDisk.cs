using System.Diagnostics;

namespace TokenAccounting.TestKit;

/// <summary>
/// A tiny tmpfs file system mounted on a temporary folder, to make a disk really fill up (ENOSPC / SQLITE_FULL).
/// Mounting needs root on Linux; <see cref="TryCreate"/> returns null where it cannot mount.
/// </summary>
public sealed class SmallDisk : IDisposable
{
    private readonly string _filler;

    private SmallDisk(string path)
    {
        Path = path;
        _filler = System.IO.Path.Combine(path, "filler.bin");
    }

    public string Path { get; }

    public static SmallDisk? TryCreate(int kibibytes)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ta-small-disk-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        if (Run("mount", "-t", "tmpfs", "-o", $"size={kibibytes}k", "tmpfs", path) != 0)
        {
            Directory.Delete(path);
            return null;
        }

        return new SmallDisk(path);
    }

    /// <summary>Writes a filler file until the disk is full.</summary>
    public void Fill()
    {
        using var stream = new FileStream(_filler, FileMode.Append, FileAccess.Write, FileShare.None, 1);
        var chunk = new byte[1024];
        try
        {
            while (true)
            {
                stream.Write(chunk);
                stream.Flush(flushToDisk: true);
            }
        }
        catch (IOException)
        {
            // Full.
        }
    }

    /// <summary>Deletes the filler: space comes back.</summary>
    public void Free() => File.Delete(_filler);

    public void Dispose()
    {
        Run("umount", "-l", Path);
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            process.WaitForExit();
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }
}
