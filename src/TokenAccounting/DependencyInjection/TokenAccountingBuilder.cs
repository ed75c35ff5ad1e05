using Microsoft.Extensions.DependencyInjection;

namespace TokenAccounting;

internal sealed class TokenAccountingBuilder(IServiceCollection services) : ITokenAccountingBuilder
{
    public IServiceCollection Services { get; } = services;
}
