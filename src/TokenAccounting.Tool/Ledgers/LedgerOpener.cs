using Microsoft.Data.Sqlite;
using TokenAccounting.PostgreSql;
using TokenAccounting.Sqlite;

namespace TokenAccounting.Tool.Ledgers;

/// <summary>Works out what a <c>&lt;ledger&gt;</c> argument is and opens it for reading.</summary>
internal static class LedgerOpener
{
    private static readonly byte[] SqliteHeader = "SQLite format 3\0"u8.ToArray();

    public static OpenedLedger Open(string ledger, bool postgres, out JsonLinesReadProgress? jsonLines)
    {
        jsonLines = null;
        if (postgres)
        {
            PostgreSqlUsageLedger sql;
            try
            {
                sql = new PostgreSqlUsageLedger(new PostgreSqlLedgerOptions { ConnectionString = ledger });
            }
            catch (ArgumentException e)
            {
                throw new ToolException($"--postgres: \"{Redact(ledger)}\" is not a usable PostgreSQL connection string: {e.Message}", ExitCodes.Usage, e);
            }

            return new OpenedLedger($"PostgreSQL ledger ({Redact(ledger)})", LedgerKind.PostgreSql, sql, sql.ReadAsync, sql);
        }

        if (Directory.Exists(ledger))
        {
            var files = Directory.EnumerateFiles(ledger, "*.jsonl", SearchOption.TopDirectoryOnly).ToList();
            if (files.Count == 0)
            {
                throw new ToolException($"{ledger}: the folder holds no *.jsonl ledger files.");
            }

            return OpenJsonLines(ledger, files, $"JSON-lines ledger {ledger} ({files.Count} file{(files.Count == 1 ? string.Empty : "s")})", out jsonLines);
        }

        if (!File.Exists(ledger))
        {
            var hint = ledger.Contains('=', StringComparison.Ordinal) && ledger.Contains(';', StringComparison.Ordinal)
                ? " (for a PostgreSQL connection string, add --postgres)"
                : string.Empty;
            throw new ToolException($"{ledger}: no such file or folder{hint}.");
        }

        var header = new byte[SqliteHeader.Length];
        int read;
        try
        {
            using var stream = new FileStream(ledger, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ToolException($"{ledger}: cannot be read: {e.Message}", inner: e);
        }

        if (read == SqliteHeader.Length && header.AsSpan().SequenceEqual(SqliteHeader))
        {
            var builder = new SqliteConnectionStringBuilder { DataSource = ledger, Mode = SqliteOpenMode.ReadWrite, Pooling = false };
            var sqlite = new SqliteUsageLedger(new SqliteLedgerOptions { ConnectionString = builder.ToString() });
            return new OpenedLedger($"SQLite ledger {ledger}", LedgerKind.Sqlite, sqlite, sqlite.ReadAsync, sqlite);
        }

        var first = header.AsSpan(0, read).TrimStart(" \t\r\n"u8);
        var looksLikeJsonLines = (first.Length > 0 && first[0] == (byte)'{')
            || (read == 0 && ledger.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase));
        if (looksLikeJsonLines || (first.Length == 0 && read > 0))
        {
            return OpenJsonLines(ledger, [ledger], $"JSON-lines ledger {ledger}", out jsonLines);
        }

        throw new ToolException(
            $"{ledger}: unknown ledger format: not a JSON-lines ledger (one JSON object per line), not a SQLite database, and not a folder of *.jsonl files. For PostgreSQL, pass the connection string with --postgres.");
    }

    /// <summary>
    /// Reads a JSON-lines ledger through <see cref="JsonLinesUsageQuery"/>: its totals come from the rollup lines for
    /// day-aligned ranges, exact even where the pipeline dropped details under overload.
    /// </summary>
    private static OpenedLedger OpenJsonLines(string ledger, IReadOnlyList<string> files, string description, out JsonLinesReadProgress progress)
    {
        var reads = new JsonLinesReadProgress(files);
        progress = reads;
        return new OpenedLedger(
            description,
            LedgerKind.JsonLines,
            new JsonLinesUsageQuery(ledger) { Progress = reads },
            (_, _, cancellationToken) => JsonLinesUsageLedger.ReadAsync(ledger, reads, cancellationToken),
            null);
    }

    /// <summary>Hides a password in a connection string before it is shown.</summary>
    public static string Redact(string connectionString)
    {
        try
        {
            var builder = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
            foreach (var key in new[] { "Password", "Pwd" })
            {
                if (builder.ContainsKey(key))
                {
                    builder[key] = "***";
                }
            }

            return builder.ConnectionString;
        }
        catch (ArgumentException)
        {
            return "(unparsable connection string)";
        }
    }
}
