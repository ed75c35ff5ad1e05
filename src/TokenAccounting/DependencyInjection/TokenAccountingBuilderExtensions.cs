using Microsoft.Extensions.DependencyInjection.Extensions;
using TokenAccounting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds sinks to TokenAccounting.</summary>
public static class TokenAccountingBuilderExtensions
{
    /// <summary>Adds a sink of type <typeparamref name="TSink"/>, created by the container. Adding the same type twice adds it once.</summary>
    public static ITokenAccountingBuilder AddSink<TSink>(this ITokenAccountingBuilder builder)
        where TSink : class, IUsageSink
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<TSink>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IUsageSink, TSink>(static sp => sp.GetRequiredService<TSink>()));
        return builder;
    }

    /// <summary>Adds a sink instance. The caller keeps ownership: the container does not dispose it.</summary>
    public static ITokenAccountingBuilder AddSink(this ITokenAccountingBuilder builder, IUsageSink sink)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(sink);
        builder.Services.AddSingleton(sink);
        return builder;
    }

    /// <summary>Adds a sink created by <paramref name="factory"/> (once, when the recorder is created).</summary>
    public static ITokenAccountingBuilder AddSink(this ITokenAccountingBuilder builder, Func<IServiceProvider, IUsageSink> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.AddSingleton(factory);
        return builder;
    }

    /// <summary>
    /// Adds an <see cref="InMemoryUsageSink"/>, also resolvable as itself so tests can query it. Adding it twice adds it once.
    /// </summary>
    public static ITokenAccountingBuilder AddInMemorySink(this ITokenAccountingBuilder builder) => builder.AddSink<InMemoryUsageSink>();
}
