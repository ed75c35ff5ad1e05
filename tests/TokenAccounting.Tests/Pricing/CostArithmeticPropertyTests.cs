using FsCheck.Xunit;

namespace TokenAccounting.Tests.Pricing;

/// <summary>
/// Issue 15 §7: the fast cost arithmetic (integer mantissa multiplies, a compact <see cref="UsageCost"/> for text-only
/// calls) gives every part bit for bit what plain decimal arithmetic gives: same value, same scale, same text.
/// </summary>
public sealed class CostArithmeticPropertyTests
{
    private const decimal Million = 1_000_000m;

    private static readonly TokenCounts[] EdgeCounts =
    [
        new(0, 0),
        new(1, 1),
        new(uint.MaxValue, uint.MaxValue),
        new((long)uint.MaxValue + 1, 1L << 40, (long)uint.MaxValue + 1, 0),
        new(long.MaxValue / 2, long.MaxValue / 2, long.MaxValue / 4, long.MaxValue / 8, long.MaxValue / 16, long.MaxValue / 4),
        new(12_000, 900, 8_000, 1_000, 400, 300, inputAudio: 2_500, cachedInputAudio: 700, outputAudio: 100),
    ];

    private static readonly decimal[] EdgePrices =
    [
        0m,
        0.00m,
        new(0, 0, 0, true, 3), // -0.000: not negative, so a valid price; its sign must survive like decimal's would.
        2.50m,
        0.075m,
        15m,
        1_000_000m,
        decimal.MaxValue,
        new(-1, -1, 0, false, 0), // the largest 64-bit mantissa
        new(0, 0, 1, false, 0), // the smallest 96-bit mantissa
        new(-1, -1, -1, false, 28),
        0.0000000000000000000001m,
    ];

    [Property(MaxTest = 300)]
    public void Cost_RandomRatesAndCounts_EveryPartBitForBitAsPlainDecimalArithmetic(int seed)
    {
        var random = new Random(seed);
        var price = RandomPrice(random);
        for (var i = 0; i < 20; i++)
        {
            AssertSameAsReference(price, RandomCounts(random), RandomToolCalls(random));
        }
    }

    [Fact]
    public void Cost_EdgeRatesAndCounts_EveryPartBitForBitAsPlainDecimalArithmetic()
    {
        foreach (var input in EdgePrices)
        {
            foreach (var output in EdgePrices)
            {
                var price = new ModelPrice { Model = "m", Input = input, Output = output, CachedInput = output, CacheWriteLongTtl = input, InputAudio = output, PerThousandRequests = input };
                foreach (var counts in EdgeCounts)
                {
                    AssertSameAsReference(price, counts, toolCalls: null);
                }
            }
        }
    }

    [Property(MaxTest = 300)]
    public void Constructor_RandomParts_EveryPartReadsBackBitForBitAndTotalIsTheDecimalSum(int seed)
    {
        // Parts that pack (mantissa below 2^59) and parts that do not (larger ones) read back as given,
        // whichever layout the cost chose; Total (integer sum for packed parts) is the saturating decimal sum.
        var random = new Random(seed);
        decimal[] parts = [.. Enumerable.Range(0, 11).Select(i => RandomPart(random))];
        parts[5] = Math.Min(parts[5], parts[2]);
        var cost = new UsageCost(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], parts[6], parts[7], parts[8], parts[9], parts[10]);

        decimal[] actual = [cost.Input, cost.CachedInput, cost.CacheWrite, cost.Output, cost.Reasoning, cost.CacheWriteLongTtl, cost.InputAudio, cost.CachedInputAudio, cost.OutputAudio, cost.Requests, cost.ServerToolCalls];
        for (var i = 0; i < parts.Length; i++)
        {
            decimal.GetBits(actual[i]).ShouldBe(decimal.GetBits(parts[i]), $"part {i}: {actual[i]} vs {parts[i]}");
        }

        var beyondText = parts[5..].Any(p => decimal.GetBits(p).Any(b => b != 0));
        var text = SaturatingArithmetic.Add(parts[0], parts[1], parts[2], parts[3], parts[4]);
        var total = beyondText ? SaturatingArithmetic.Add(text, SaturatingArithmetic.Add(parts[6], parts[7], parts[8], parts[9], parts[10])) : text;
        decimal.GetBits(cost.Total).ShouldBe(decimal.GetBits(total), $"total of {string.Join(", ", parts)}: {cost.Total} vs {total}");
        cost.ShouldBe(new UsageCost(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], parts[6], parts[7], parts[8], parts[9], parts[10]));
    }

    [Fact]
    public void Total_PackedPartsOfManyScales_IsTheDecimalSumBitForBit()
    {
        // Scales 0 to 28 against each other: the integer sum rescales by up to 10^19 and gives way to decimal beyond.
        for (byte low = 0; low <= 28; low++)
        {
            for (byte high = low; high <= 28; high++)
            {
                decimal[] parts = [new(123_456_789, 0, 0, false, low), 0m, new(0, 0, 0, false, high), new(7, 1 << 26, 0, false, high), new(1, 0, 0, false, low)];
                var cost = new UsageCost(parts[0], parts[1], parts[2], parts[3], parts[4]);

                decimal.GetBits(cost.Total).ShouldBe(decimal.GetBits(SaturatingArithmetic.Add(parts[0], parts[1], parts[2], parts[3], parts[4])), $"scales {low} and {high}");
            }
        }
    }

    [Fact]
    public void Cost_TextOnlyCall_AllocatesLessThanACostWithAPartBeyondText()
    {
        // The parts beyond text live out of line, so the common text-only cost is the smaller object.
        var price = new ModelPrice { Model = "m", Input = 2.5m, Output = 10m, InputAudio = 40m };
        var text = new TokenCounts(12_000, 900, 8_000, 0, 0, 300);
        var audio = new TokenCounts(12_000, 900, 8_000, 0, 0, 300, inputAudio: 100);
        _ = price.Cost(text);
        _ = price.Cost(audio);

        var textBytes = Allocations.AllocatedBy(() => price.Cost(text));
        var audioBytes = Allocations.AllocatedBy(() => price.Cost(audio));

        textBytes.ShouldBeLessThan(audioBytes);
        textBytes.ShouldBe(Allocations.AllocatedBy(() => new UsageCost(1m, 2m, 3m, 4m, 5m)), "a text-only cost is one object of the five text parts");
    }

    [Fact]
    public void Constructor_ZeroOfAnotherScaleBeyondText_ReadsBackAndFormatsAsGiven()
    {
        // Only a 0m part (scale 0, no sign) may be left out of line; 0.00m keeps its scale like every other value.
        var cost = new UsageCost(1m, 0m, 0m, 0m, 0m, 0m, 0m, 0m, 0m, 0.00m, 0m);

        decimal.GetBits(cost.Requests).ShouldBe(decimal.GetBits(0.00m));
        decimal.GetBits(cost.Total).ShouldBe(decimal.GetBits(1.00m));
        cost.ShouldBe(new UsageCost(1m, 0m, 0m, 0m, 0m));
        cost.GetHashCode().ShouldBe(new UsageCost(1m, 0m, 0m, 0m, 0m).GetHashCode());
    }

    private static void AssertSameAsReference(ModelPrice price, TokenCounts counts, Dictionary<string, long>? toolCalls)
    {
        decimal[] expected;
        try
        {
            expected = Reference(price, counts, toolCalls);
        }
        catch (OverflowException)
        {
            Should.Throw<OverflowException>(() => price.Cost(counts, toolCalls, serviceTier: null, at: null));
            Should.Throw<OverflowException>(() => UsagePricing.Price(PriceCatalog.Create([price]), new UsageRecord { Model = price.Model, Tokens = counts, ServerToolCalls = toolCalls }));
            return;
        }

        AssertParts(price.Cost(counts, toolCalls, serviceTier: null, at: null), expected, $"{price.Input}/{price.Output} per 1M for {counts}");

        // The pipeline's path (a record through the catalog) takes its own shortcut for text-only records.
        var record = new UsageRecord { Model = price.Model, Tokens = counts, ServerToolCalls = toolCalls };
        AssertParts(UsagePricing.Price(PriceCatalog.Create([price]), record).ShouldNotBeNull(), expected, $"a record of {counts} at {price.Input}/{price.Output} per 1M");
    }

    private static void AssertParts(UsageCost cost, decimal[] expected, string what)
    {
        decimal[] actual = [cost.Input, cost.CachedInput, cost.CacheWrite, cost.Output, cost.Reasoning, cost.CacheWriteLongTtl, cost.InputAudio, cost.CachedInputAudio, cost.OutputAudio, cost.Requests, cost.ServerToolCalls, cost.Total];
        for (var i = 0; i < expected.Length; i++)
        {
            decimal.GetBits(actual[i]).ShouldBe(decimal.GetBits(expected[i]), $"part {i} of {what}: {actual[i]} vs {expected[i]}");
        }

        cost.ToString().ShouldBe(ReferenceText(expected));
    }

    /// <summary>Today's formulas written out plainly: per-token rates by division, each part <c>count * rate</c>.</summary>
    private static decimal[] Reference(ModelPrice price, TokenCounts t, Dictionary<string, long>? toolCalls)
    {
        var write = price.CacheWrite ?? price.Input;
        var audioIn = price.InputAudio ?? price.Input;
        var rates = new
        {
            Input = price.Input / Million,
            Cached = (price.CachedInput ?? price.Input) / Million,
            Write = write / Million,
            LongTtl = (price.CacheWriteLongTtl ?? write) / Million,
            Output = price.Output / Million,
            Reasoning = (price.Reasoning ?? price.Output) / Million,
            AudioIn = audioIn / Million,
            AudioCached = (price.CachedInputAudio ?? price.CachedInput ?? audioIn) / Million,
            AudioOut = (price.OutputAudio ?? price.Output) / Million,
        };

        var cachedAudio = Math.Min(t.CachedInputAudio, Math.Min(t.CachedInput, t.InputAudio));
        var uncachedAudio = t.InputAudio - cachedAudio;
        var uncached = t.Input - t.CachedInput - t.CacheWriteInput - uncachedAudio;
        var longTtl = t.CacheWriteLongTtlInput;
        var shortTtl = t.CacheWriteInput - longTtl;
        var plainOutput = t.Output - t.Reasoning - t.OutputAudio;
        var cached = t.CachedInput - cachedAudio;
        var longTtlCost = Times(longTtl, rates.LongTtl);

        var tools = 0m;
        if (price.PerThousandServerToolCalls is { Count: > 0 } perThousand && toolCalls is not null)
        {
            foreach (var (tool, count) in toolCalls)
            {
                tools += count > 0 && perThousand.TryGetValue(tool, out var fee) ? count * (fee / 1_000m) : 0m;
            }
        }

        decimal[] parts =
        [
            Times(uncached, rates.Input),
            Times(cached, rates.Cached),
            Times(shortTtl, rates.Write) + longTtlCost,
            Times(plainOutput, rates.Output),
            Times(t.Reasoning, rates.Reasoning),
            longTtlCost,
            Times(uncachedAudio, rates.AudioIn),
            Times(cachedAudio, rates.AudioCached),
            Times(t.OutputAudio, rates.AudioOut),
            (price.PerThousandRequests ?? 0m) / 1_000m,
            tools,
        ];

        var total = SaturatingArithmetic.Add(
            SaturatingArithmetic.Add(parts[0], parts[1], parts[2], parts[3], parts[4]),
            SaturatingArithmetic.Add(parts[6], parts[7], parts[8], parts[9], parts[10]));
        return [.. parts, total];
    }

    private static decimal Times(long count, decimal rate) => count == 0 ? 0m : count * rate;

    private static string ReferenceText(decimal[] p)
    {
        var text = FormattableString.Invariant($"${p[11]} (in {p[0]}, cached {p[1]}, cache-write {p[2]} (1h {p[5]}), out {p[3]}, reasoning {p[4]}");
        if (p[6] != 0 || p[7] != 0 || p[8] != 0)
        {
            text += FormattableString.Invariant($", audio in {p[6]}, audio cached {p[7]}, audio out {p[8]}");
        }

        if (p[9] != 0 || p[10] != 0)
        {
            text += FormattableString.Invariant($", requests {p[9]}, tool calls {p[10]}");
        }

        return text + ")";
    }

    private static ModelPrice RandomPrice(Random random) => new()
    {
        Model = "m",
        Input = RandomRate(random),
        Output = RandomRate(random),
        CachedInput = Maybe(random),
        CacheWrite = Maybe(random),
        CacheWriteLongTtl = Maybe(random),
        Reasoning = Maybe(random),
        InputAudio = Maybe(random),
        CachedInputAudio = Maybe(random),
        OutputAudio = Maybe(random),
        PerThousandRequests = random.Next(4) == 0 ? RandomRate(random) : null,
        PerThousandServerToolCalls = random.Next(3) == 0 ? new Dictionary<string, decimal> { ["web_search"] = RandomRate(random), ["web_fetch"] = RandomRate(random) } : null,
    };

    private static decimal? Maybe(Random random) => random.Next(3) == 0 ? null : RandomRate(random);

    /// <summary>Mostly catalog-like prices (a few decimals), also zeros with a scale, 64- and 96-bit mantissas, any scale.</summary>
    private static decimal RandomRate(Random random) => random.Next(6) switch
    {
        0 => EdgePrices[random.Next(EdgePrices.Length)],
        1 => new decimal(Word(random), Word(random), Word(random), false, (byte)random.Next(29)),
        2 => new decimal(Word(random), random.Next(4) == 0 ? 0 : Word(random), 0, false, (byte)random.Next(29)),
        _ => new decimal(random.Next(1_000_000), 0, 0, false, (byte)random.Next(7)),
    };

    /// <summary>Zeros of any scale, packable amounts, amounts just past 59 bits, 96-bit amounts (the constructor refuses a negative zero).</summary>
    private static decimal RandomPart(Random random) => random.Next(6) switch
    {
        0 => 0m,
        1 => new decimal(0, 0, 0, false, (byte)random.Next(29)),
        2 => new decimal(Word(random), random.Next(1 << 27), 0, false, (byte)random.Next(29)),
        3 => new decimal(Word(random), (1 << 27) + random.Next(1 << 4), 0, false, (byte)random.Next(29)),
        4 => new decimal(Word(random), Word(random), Word(random), false, (byte)random.Next(29)),
        _ => new decimal(random.Next(1_000_000), 0, 0, false, (byte)random.Next(9)),
    };

    private static int Word(Random random) => unchecked((int)(uint)random.NextInt64(1L << 32));

    private static TokenCounts RandomCounts(Random random)
    {
        var input = RandomCount(random, long.MaxValue / 2);
        var output = RandomCount(random, long.MaxValue / 2);
        var cached = RandomCount(random, input);
        var cacheWrite = RandomCount(random, input - cached);
        var longTtl = RandomCount(random, cacheWrite);
        var reasoning = RandomCount(random, output);
        var cachedAudio = RandomCount(random, cached);
        var uncachedAudio = RandomCount(random, input - cached - cacheWrite);
        var outputAudio = RandomCount(random, output - reasoning);
        return random.Next(3) == 0
            ? new TokenCounts(input, output, cached, cacheWrite, 0, reasoning)
            : new TokenCounts(input, output, cached, cacheWrite, longTtl, reasoning, cachedAudio + uncachedAudio, cachedAudio, outputAudio);
    }

    // Zero, small, 32-bit and full-range counts: the fast multiply has a branch for each size.
    private static long RandomCount(Random random, long max) => random.Next(5) switch
    {
        0 => 0,
        1 => Math.Min(max, random.Next(100_000)),
        2 => Math.Min(max, random.NextInt64(1L << 33)),
        3 => max,
        _ => random.NextInt64(max + 1),
    };

    private static Dictionary<string, long>? RandomToolCalls(Random random) =>
        random.Next(3) == 0 ? new Dictionary<string, long> { ["web_search"] = random.Next(5), ["code_execution"] = 2 } : null;
}
