namespace TokenAccounting.Sqlite.Tests;

/// <summary>A database file in a fresh temporary folder, deleted with the test.</summary>
internal sealed class TempDatabase : IDisposable
{
    public TempDatabase()
    {
        Folder = Path.Combine(Path.GetTempPath(), "ta-sqlite-" + Guid.NewGuid().ToString("N"));
        FilePath = Path.Combine(Folder, "nested", "usage.db");
    }

    public string Folder { get; }

    public string FilePath { get; }

    public string ConnectionString => $"Data Source={FilePath};Pooling=False";

    public SqliteLedgerOptions Options(TimeSpan? retention = null) => new() { ConnectionString = ConnectionString, DetailRetention = retention };

    public void Dispose()
    {
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
    }
}
