namespace TokenAccounting;

/// <summary>Copies of a <see cref="ModelPrice"/> with some parts changed (its properties are init-only).</summary>
internal static class ModelPriceCopy
{
    /// <summary>A copy with other per-call tool prices.</summary>
    public static ModelPrice With(ModelPrice price, IReadOnlyDictionary<string, decimal> serverToolCalls) => Fill(price, fill: null, price.EffectiveFrom, serverToolCalls);

    /// <summary>
    /// <paramref name="primary"/>'s prices, with every part it leaves unset taken from <paramref name="fill"/>
    /// (cache, reasoning and audio rates, fees, tool prices, context window, tiers, windows, match rule, service tiers).
    /// </summary>
    public static ModelPrice Fill(ModelPrice primary, ModelPrice? fill, DateTimeOffset? effectiveFrom, IReadOnlyDictionary<string, decimal>? serverToolCalls = null, bool takeWindows = true)
    {
        var tiersFromFill = primary.LongContext is null && primary.AdditionalTiers.Count == 0 && fill is not null;
        return new ModelPrice
        {
            Model = primary.Model,
            Provider = primary.Provider,
            EffectiveFrom = effectiveFrom,
            MaxInputTokens = primary.MaxInputTokens ?? fill?.MaxInputTokens,
            Input = primary.Input,
            CachedInput = primary.CachedInput ?? fill?.CachedInput,
            CacheWrite = primary.CacheWrite ?? fill?.CacheWrite,
            CacheWriteLongTtl = primary.CacheWriteLongTtl ?? fill?.CacheWriteLongTtl,
            Output = primary.Output,
            Reasoning = primary.Reasoning ?? fill?.Reasoning,
            InputAudio = primary.InputAudio ?? fill?.InputAudio,
            CachedInputAudio = primary.CachedInputAudio ?? fill?.CachedInputAudio,
            OutputAudio = primary.OutputAudio ?? fill?.OutputAudio,
            PerThousandRequests = primary.PerThousandRequests ?? fill?.PerThousandRequests,
            PerThousandServerToolCalls = serverToolCalls ?? primary.PerThousandServerToolCalls ?? fill?.PerThousandServerToolCalls,
            LongContext = tiersFromFill ? fill!.LongContext : primary.LongContext,
            AdditionalTiers = tiersFromFill ? fill!.AdditionalTiers : primary.AdditionalTiers,
            TimeOfDay = primary.TimeOfDay.Count > 0 || fill is null || !takeWindows ? primary.TimeOfDay : fill.TimeOfDay,
            Match = primary.Match ?? fill?.Match,
            Batch = primary.Batch ?? fill?.Batch,
            Priority = primary.Priority ?? fill?.Priority,
            Flex = primary.Flex ?? fill?.Flex,
        };
    }
}
