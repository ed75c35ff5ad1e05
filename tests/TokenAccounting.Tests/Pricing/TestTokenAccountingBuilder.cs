using Microsoft.Extensions.DependencyInjection;

namespace TokenAccounting.Tests.Pricing;

/// <summary>A builder over a bare service collection, so pricing and budgets can be tested without the core's AddTokenAccounting.</summary>
internal sealed class TestTokenAccountingBuilder(IServiceCollection services) : ITokenAccountingBuilder
{
    public IServiceCollection Services { get; } = services;
}
