using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace TokenAccounting.Tests.Recording;

/// <summary>
/// Mutational fuzzing of each provider's payloads (issue 12 §5): whatever the bytes, <c>Parse*</c> throws only
/// <see cref="FormatException"/>, <c>TryParse*</c> returns false instead of throwing, and a payload that parses has
/// non-negative counts that hold the <see cref="TokenCounts"/> invariants and a total that fits.
/// </summary>
public sealed partial class UsageParsersFuzzPropertyTests
{
    private static readonly string[] Payloads =
    [
        .. new[] { "openai", "anthropic", "gemini", "bedrock" }.Select(p => p + "|" + UsageParsersContractTests.Valid(p)),
        "openai|" + RealPayloads.OpenAIChatCacheWrite,
        "openai|" + RealPayloads.OpenAIResponsesCacheWrite,
        "openai|" + RealPayloads.XaiReasoningOutsideCompletion,
        "openai|" + RealPayloads.OpenAIChatAudio,
        "openai|" + RealPayloads.OpenAIResponsesWebSearch,
        "anthropic|" + RealPayloads.AnthropicWebSearch,
        "anthropic|" + RealPayloads.AnthropicCacheCreationMismatch,
        "bedrock|" + RealPayloads.BedrockConverseCache,
        "bedrock|" + RealPayloads.BedrockConverseStreamMetadata,
        "gemini|" + RealPayloads.GeminiAudio,
        "gemini|" + RealPayloads.GeminiThoughtsInsideCandidates,
        "gemini|" + RealPayloads.GeminiGrounding,
        "openai|" + ProviderFixtures.Read("openai-chat-completion.json"),
        "openai|" + ProviderFixtures.Read("openai-embeddings.json"),
        "openai|" + ProviderFixtures.Read("openai-responses-object.json"),
        "anthropic|" + ProviderFixtures.Read("anthropic-message.json"),
        "anthropic|" + ProviderFixtures.Read("anthropic-message-start.json"),
        "anthropic|" + ProviderFixtures.Read("anthropic-message-delta.json"),
        "gemini|" + ProviderFixtures.Read("gemini-generate-content-thinking.json"),
        "gemini|" + ProviderFixtures.Read("gemini-usage-metadata-cache-and-tools.json"),
    ];

    private static readonly string[] NumberReplacements =
    [
        "9223372036854775807", "9223372036854775808", "99999999999999999999999999", "-1", "-9223372036854775808", "0", "1.5",
        "1e3", "1e400", "-0", "\"12\"", "null", "true", "[]", "{}", "\"\\ud800\"", "4611686018427387904",
    ];

    [Property(MaxTest = 3000, Arbitrary = [typeof(Mutations)])]
    public void Parse_AnyMutatedPayload_ThrowsOnlyFormatExceptionAndNeverYieldsBadCounts(Mutation mutation)
    {
        var (provider, utf8, text) = mutation.Apply(Payloads);

        CheckContract(() => UsageParsersContractTests.ParseBytes(provider, utf8), () => UsageParsersContractTests.TryParseBytes(provider, utf8));
        CheckContract(() => UsageParsersContractTests.ParseString(provider, text), () => UsageParsersContractTests.TryParseString(provider, text));
        CheckContract(() => UsageParsersContractTests.ReadString(provider, text).Tokens, () => UsageParsersContractTests.TryReadString(provider, text));
        CheckContract(() => UsageParsersContractTests.ReadBytes(provider, utf8).Tokens, () => UsageParsersContractTests.TryReadBytes(provider, utf8));
        JsonDocument? document = null;
        try
        {
            document = JsonDocument.Parse(utf8);
        }
        catch (JsonException)
        {
            // Not a JSON document: the element overloads cannot be reached with it.
        }

        using (document)
        {
            if (document is not null)
            {
                var root = document.RootElement;
                CheckContract(() => UsageParsersContractTests.ParseElement(provider, root), () => UsageParsersContractTests.TryParseElement(provider, root));
            }
        }
    }

    private static void CheckContract(Func<TokenCounts> parse, Func<bool> tryParse)
    {
        TokenCounts? parsed = null;
        try
        {
            parsed = parse();
        }
        catch (FormatException)
        {
        }

        // Any other exception fails the property as it escapes; TryParse must not throw at all.
        tryParse().ShouldBe(parsed is not null);
        if (parsed is { } counts)
        {
            // Rebuilding through the validating constructor checks every invariant, including a total that fits.
            new TokenCounts(counts.Input, counts.Output, counts.CachedInput, counts.CacheWriteInput, counts.CacheWriteLongTtlInput, counts.Reasoning, counts.InputAudio, counts.CachedInputAudio, counts.OutputAudio).ShouldBe(counts);
            counts.Total.ShouldBeGreaterThanOrEqualTo(0);
        }
    }

    [GeneratedRegex(@"-?\d+(\.\d+)?([eE][+-]?\d+)?")]
    private static partial Regex NumberPattern();

    /// <summary>A payload and a few seeded edits to it.</summary>
    public sealed record Mutation(int Payload, int Seed, int Edits)
    {
        public (string Provider, byte[] Utf8, string Text) Apply(string[] payloads)
        {
            var entry = payloads[Payload % payloads.Length];
            var provider = entry[..entry.IndexOf('|', StringComparison.Ordinal)];
            var text = entry[(provider.Length + 1)..];
            var random = new Random(Seed);
            byte[]? bytes = null;
            for (var i = 0; i < Edits; i++)
            {
                switch (random.Next(8))
                {
                    case 0:
                        // A number where one was, but huge, negative, fractional, of the wrong type...
                        var numbers = NumberPattern().Matches(text);
                        if (numbers.Count > 0)
                        {
                            var m = numbers[random.Next(numbers.Count)];
                            text = string.Concat(text.AsSpan(0, m.Index), NumberReplacements[random.Next(NumberReplacements.Length)], text.AsSpan(m.Index + m.Length));
                        }

                        break;
                    case 1:
                        // Deep nesting in place of a value.
                        var depth = random.Next(1, 300);
                        var colon = text.IndexOf(':', random.Next(text.Length));
                        if (colon > 0)
                        {
                            var open = random.Next(2) == 0 ? new string('[', depth) : string.Concat(Enumerable.Repeat("{\"a\":", depth));
                            var close = open[0] == '[' ? new string(']', depth) : new string('}', depth);
                            text = text[..(colon + 1)] + open + "1" + close + ",\"pad\":" + text[(colon + 1)..];
                        }

                        break;
                    case 2:
                        // A duplicate key: the first member repeated with another value.
                        var brace = text.IndexOf('{', StringComparison.Ordinal);
                        var comma = text.IndexOf(',', brace + 1);
                        if (brace >= 0 && comma > brace)
                        {
                            text = string.Concat(text.AsSpan(0, comma + 1), text.AsSpan(brace + 1, comma - brace - 1), ",", text.AsSpan(comma + 1));
                        }

                        break;
                    case 3:
                        // An unpaired surrogate in the text (the string overload) or as an escape (every overload).
                        var at = random.Next(text.Length + 1);
                        text = text.Insert(at, random.Next(2) == 0 ? "\uD800" : "\\udc00");
                        break;
                    case 4:
                        // Truncation.
                        text = text[..random.Next(text.Length + 1)];
                        break;
                    default:
                        // Byte flips, including invalid UTF-8 (lone continuation bytes, encoded surrogates, overlongs).
                        bytes ??= Encoding.UTF8.GetBytes(text);
                        if (bytes.Length > 0)
                        {
                            byte[][] bad = [[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0x80], [(byte)random.Next(256)]];
                            var insert = bad[random.Next(bad.Length)];
                            var position = random.Next(bytes.Length);
                            bytes = [.. bytes[..position], .. insert, .. bytes[(position + (random.Next(2) == 0 ? 0 : 1))..]];
                        }

                        continue;
                }

                bytes = null;
            }

            if (bytes is not null)
            {
                // The string overloads see the same bytes decoded (invalid sequences become U+FFFD).
                return (provider, bytes, Encoding.UTF8.GetString(bytes));
            }

            // A lone surrogate in the text cannot be encoded; the byte overloads see U+FFFD in its place.
            return (provider, Encoding.UTF8.GetBytes(text), text);
        }
    }

    /// <summary>Generates mutations: any payload, any seed, one to six edits.</summary>
    public static class Mutations
    {
        public static Arbitrary<Mutation> Mutation() => Gen.Choose(0, 1000)
            .SelectMany(payload => Gen.Choose(0, int.MaxValue - 1), (payload, seed) => (payload, seed))
            .SelectMany(t => Gen.Choose(1, 6), (t, edits) => new Mutation(t.payload, t.seed, edits))
            .ToArbitrary();
    }
}
