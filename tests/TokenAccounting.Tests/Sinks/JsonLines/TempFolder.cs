namespace TokenAccounting.Tests.Sinks.JsonLines;

/// <summary>A fresh folder under the temp path, deleted with everything in it on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ta-jsonl-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Template => System.IO.Path.Combine(Path, "usage-{date}.jsonl");

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Day(string date) => File($"usage-{date}.jsonl");

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
