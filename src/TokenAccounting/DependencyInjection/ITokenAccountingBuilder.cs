using Microsoft.Extensions.DependencyInjection;

namespace TokenAccounting;

/// <summary>
/// Returned by <c>AddTokenAccounting()</c>: sinks, pricing, budgets and adapters hang off it
/// (<c>.AddSink&lt;TSink&gt;()</c>, <c>.AddInMemorySink()</c>, <c>.AddJsonLinesSink(...)</c>, …).
/// </summary>
public interface ITokenAccountingBuilder
{
    /// <summary>Gets the service collection being configured.</summary>
    IServiceCollection Services { get; }
}
