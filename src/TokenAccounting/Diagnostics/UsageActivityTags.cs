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

    public static void Apply(Activity activity, UsageRecord record)
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

        if (record.Cost is { } cost)
        {
            activity.SetTag(TokenAccountingDiagnostics.CostActivityTag, (double)cost.Total);
        }
    }
}
