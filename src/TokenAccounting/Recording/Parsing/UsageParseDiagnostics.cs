using System.Diagnostics.Metrics;

namespace TokenAccounting.Recording.Parsing;

/// <summary>
/// Counts the corrections the parsers make (<see cref="UsageCorrections"/>). The parsers are static, so the counter
/// lives on a process-wide meter named <see cref="TokenAccountingDiagnostics.MeterName"/>: listening to that name
/// (<c>AddMeter("TokenAccounting")</c>) collects it beside the recorder's instruments.
/// </summary>
internal static class UsageParseDiagnostics
{
    private static readonly Meter Meter = new(TokenAccountingDiagnostics.MeterName);

    private static readonly Counter<long> Corrections = Meter.CreateCounter<long>(
        TokenAccountingDiagnostics.ParseCorrectionsInstrument,
        unit: "{payload}",
        description: "Usage payloads a parser corrected instead of rejecting, by provider and correction.");

    public static void Count(string provider, UsageCorrections corrections)
    {
        if (corrections == UsageCorrections.None || !Corrections.Enabled)
        {
            return;
        }

        Add(provider, corrections, UsageCorrections.CacheCreationBreakdownMismatch, "cache_creation_mismatch");
        Add(provider, corrections, UsageCorrections.ReasoningOutsideCompletion, "reasoning_outside_completion");
        Add(provider, corrections, UsageCorrections.ThoughtsInsideCandidates, "thoughts_inside_candidates");
        Add(provider, corrections, UsageCorrections.CacheInsideInput, "cache_inside_input");
    }

    private static void Add(string provider, UsageCorrections corrections, UsageCorrections flag, string name)
    {
        if ((corrections & flag) != 0)
        {
            Corrections.Add(
                1,
                new KeyValuePair<string, object?>("gen_ai.provider.name", provider),
                new KeyValuePair<string, object?>(TokenAccountingDiagnostics.CorrectionAttribute, name));
        }
    }
}
