using System.Diagnostics;

namespace TokenAccounting;

/// <summary>Puts a record's usage on an activity with the OpenTelemetry GenAI attribute names.</summary>
internal static class UsageActivityTags
{
    public const string InputTokens = "gen_ai.usage.input_tokens";
    public const string OutputTokens = "gen_ai.usage.output_tokens";
    public const string CacheReadInputTokens = "gen_ai.usage.cache_read.input_tokens";
    public const string CacheCreationInputTokens = "gen_ai.usage.cache_creation.input_tokens";
    public const string ReasoningOutputTokens = "gen_ai.usage.reasoning.output_tokens";

    public static void Apply(Activity activity, UsageRecord record) => Apply(activity, record, pricer: null);

    /// <summary>
    /// Tags <paramref name="activity"/> with the record's tokens and cost. The caller calls this only for a recorded
    /// activity (<see cref="Activity.IsAllDataRequested"/>), so an untraced <c>Record()</c> pays nothing for it.
    /// When the record carries no cost and <paramref name="pricer"/> is given, the record is priced here, on the
    /// caller's thread: the aggregator prices it again later, but the span has usually ended by then, and
    /// pricing twice is paid only by traced calls. A pricer that throws leaves the cost tag off (the aggregator's
    /// own pricing counts the failure).
    /// </summary>
    public static void Apply(Activity activity, UsageRecord record, Func<UsageRecord, UsageCost?>? pricer)
    {
        var tokens = record.Tokens;
        activity.SetTag(InputTokens, tokens.Input);
        activity.SetTag(OutputTokens, tokens.Output);
        if (tokens.CachedInput != 0)
        {
            activity.SetTag(CacheReadInputTokens, tokens.CachedInput);
        }

        if (tokens.CacheWriteInput != 0)
        {
            activity.SetTag(CacheCreationInputTokens, tokens.CacheWriteInput);
        }

        if (tokens.Reasoning != 0)
        {
            activity.SetTag(ReasoningOutputTokens, tokens.Reasoning);
        }

        if ((record.Cost ?? TryPrice(pricer, record)) is { } cost)
        {
            activity.SetTag(TokenAccountingDiagnostics.CostActivityTag, (double)cost.Total);
        }
    }

    private static UsageCost? TryPrice(Func<UsageRecord, UsageCost?>? pricer, UsageRecord record)
    {
        if (pricer is null)
        {
            return null;
        }

        try
        {
            return pricer(record);
        }
        catch (Exception)
        {
            // Record() never throws for a downstream fault; the aggregator prices again and counts the failure.
            return null;
        }
    }
}
