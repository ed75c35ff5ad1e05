using System.Globalization;
using Microsoft.Extensions.AI;

namespace TokenAccounting.Testing;

/// <summary>
/// An <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> of strings that plays a script, one entry per call, in
/// order: embeddings (one fixed vector per input) with scripted <see cref="UsageDetails"/>, a failure, or a
/// cancellation. A call with nothing scripted throws <see cref="InvalidOperationException"/> naming the call.
/// Every call checks the caller's cancellation token first (a cancelled call leaves its entry for the next). Thread-safe.
/// </summary>
public sealed class ScriptedEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly object _gate = new();
    private readonly Queue<Entry> _script = new();
    private readonly List<IReadOnlyList<string>> _calls = [];
    private readonly EmbeddingGeneratorMetadata? _metadata;
    private readonly int _dimensions;

    /// <summary>Creates a generator with an empty script.</summary>
    /// <param name="metadata">What <see cref="GetService"/> returns for <see cref="EmbeddingGeneratorMetadata"/>, or null.</param>
    /// <param name="dimensions">The length of every vector; at least 1.</param>
    public ScriptedEmbeddingGenerator(EmbeddingGeneratorMetadata? metadata = null, int dimensions = 2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        _metadata = metadata;
        _dimensions = dimensions;
    }

    /// <summary>Gets or sets an action run at the start of every call with the call's values (for example to advance a fake clock).</summary>
    /// <value>The default value is null.</value>
    public Action<IReadOnlyList<string>>? OnCall { get; set; }

    /// <summary>Gets the values of each call received so far, in order.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Calls
    {
        get
        {
            lock (_gate)
            {
                return _calls.ToArray();
            }
        }
    }

    /// <summary>Gets the number of calls received so far.</summary>
    public int CallCount
    {
        get
        {
            lock (_gate)
            {
                return _calls.Count;
            }
        }
    }

    /// <summary>Gets the number of scripted entries not played yet.</summary>
    public int Remaining
    {
        get
        {
            lock (_gate)
            {
                return _script.Count;
            }
        }
    }

    /// <summary>Scripts embeddings that report <paramref name="inputTokens"/> (no usage when null).</summary>
    /// <param name="inputTokens">The reported input tokens, or null.</param>
    /// <param name="modelId">The embeddings' model id, or null.</param>
    /// <returns>This generator, to script more.</returns>
    public ScriptedEmbeddingGenerator Respond(long? inputTokens, string? modelId = null) =>
        Respond(inputTokens is null ? null : new UsageDetails { InputTokenCount = inputTokens, TotalTokenCount = inputTokens }, modelId);

    /// <summary>Scripts embeddings with <paramref name="usage"/>.</summary>
    /// <param name="usage">The reported usage, or null for none.</param>
    /// <param name="modelId">The embeddings' model id, or null.</param>
    /// <returns>This generator, to script more.</returns>
    public ScriptedEmbeddingGenerator Respond(UsageDetails? usage = null, string? modelId = null) => Enqueue(new Entry(usage, modelId, null, null, false));

    /// <summary>Scripts a call that throws <paramref name="exception"/>.</summary>
    /// <param name="exception">The exception.</param>
    /// <returns>This generator, to script more.</returns>
    public ScriptedEmbeddingGenerator Fail(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return Enqueue(new Entry(null, null, exception, null, false));
    }

    /// <summary>
    /// Scripts a cancelled call: cancels <paramref name="source"/> when given and throws
    /// <see cref="OperationCanceledException"/> for its token, or for the call's token when none is given.
    /// </summary>
    /// <param name="source">The caller's source to cancel, or null.</param>
    /// <returns>This generator, to script more.</returns>
    public ScriptedEmbeddingGenerator Cancel(CancellationTokenSource? source = null) => Enqueue(new Entry(null, null, null, source, true));

    /// <inheritdoc />
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var inputs = values.ToArray();
        int number;
        lock (_gate)
        {
            _calls.Add(inputs);
            number = _calls.Count;
        }

        OnCall?.Invoke(inputs);
        cancellationToken.ThrowIfCancellationRequested();
        Entry? entry;
        lock (_gate)
        {
            _script.TryDequeue(out entry);
        }

        if (entry is null)
        {
            throw new InvalidOperationException(string.Create(
                CultureInfo.InvariantCulture,
                $"ScriptedEmbeddingGenerator has nothing scripted for call #{number}; script it with Respond, Fail or Cancel before the call."));
        }

        if (entry.IsCancellation)
        {
            if (entry.Source is { } source)
            {
                await source.CancelAsync().ConfigureAwait(false);
                throw new OperationCanceledException("Cancelled by the script.", source.Token);
            }

            throw new OperationCanceledException("Cancelled by the script.", cancellationToken);
        }

        if (entry.Exception is { } exception)
        {
            throw exception;
        }

        return new GeneratedEmbeddings<Embedding<float>>(inputs.Select(_ => new Embedding<float>(UnitVector(_dimensions)) { ModelId = entry.ModelId }))
        {
            Usage = entry.Usage,
        };
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(EmbeddingGeneratorMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <summary>Does nothing: the generator holds no resources.</summary>
    public void Dispose()
    {
    }

    private static float[] UnitVector(int dimensions)
    {
        var vector = new float[dimensions];
        vector[0] = 1f;
        return vector;
    }

    private ScriptedEmbeddingGenerator Enqueue(Entry entry)
    {
        lock (_gate)
        {
            _script.Enqueue(entry);
        }

        return this;
    }

    private sealed record Entry(UsageDetails? Usage, string? ModelId, Exception? Exception, CancellationTokenSource? Source, bool IsCancellation);
}
