namespace TokenAccounting.Tool;

/// <summary>A failure the tool reports as one line on stderr (no stack trace) with a non-zero exit code.</summary>
internal sealed class ToolException : Exception
{
    public ToolException(string message, int exitCode = ExitCodes.Failed, Exception? inner = null)
        : base(message, inner) => ExitCode = exitCode;

    public int ExitCode { get; }
}

/// <summary>The tool's exit codes (documented in the README and in --help).</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The ledger, a price file or the output could not be read or written (missing, corrupt, newer schema, unknown format).</summary>
    public const int Failed = 1;

    /// <summary>The command line is wrong (unknown option, bad value).</summary>
    public const int Usage = 2;
}
