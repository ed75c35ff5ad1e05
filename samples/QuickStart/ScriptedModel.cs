using TokenAccounting;

namespace QuickStart;

/// <summary>
/// A fake model client (no network): answers from a script and reports usage the way OpenAI's API does,
/// with the history growing on every turn and a prompt cache kicking in after the first call.
/// </summary>
internal sealed class ScriptedModel(IUsageRecorder recorder, string model)
{
    private int _call;

    public string Complete(IReadOnlyList<string> history)
    {
        _call++;
        var promptTokens = history.Sum(m => (m.Length / 4) + 4);
        var cached = _call == 1 ? 0 : promptTokens / 2;
        var completion = 40 + (7 * _call % 30);

        recorder.Record(new UsageRecord
        {
            Model = model,
            Provider = "openai",
            Operation = UsageOperation.Chat,
            Tokens = TokenCounts.FromOpenAI(promptTokens, completion, cachedTokens: cached, reasoningTokens: completion / 4),
            HistoryLength = history.Count,
        });

        return $"step {_call}: done";
    }

    public void Embed(string text) => recorder.Record(new UsageRecord
    {
        Model = "text-embedding-3-small",
        Provider = "openai",
        Operation = UsageOperation.Embeddings,
        Tokens = new TokenCounts((text.Length / 4) + 1, 0),
    });
}
