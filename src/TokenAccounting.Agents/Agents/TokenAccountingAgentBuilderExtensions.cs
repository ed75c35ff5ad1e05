using TokenAccounting;

namespace Microsoft.Agents.AI;

/// <summary>
/// Adds token accounting to an <see cref="AIAgentBuilder"/>: <c>agent.AsBuilder().UseTokenAccounting().Build()</c>.
/// </summary>
public static class TokenAccountingAgentBuilderExtensions
{
    /// <summary>
    /// Makes every run of the agent (<c>RunAsync</c> and <c>RunStreamingAsync</c>) open a <see cref="UsageScope"/>
    /// named after the agent, tagged with <see cref="TokenAccountingAgentOptions.AgentNameTag"/>,
    /// <see cref="TokenAccountingAgentOptions.AgentIdTag"/>, <see cref="TokenAccountingAgentOptions.SessionIdTag"/>
    /// (and <see cref="TokenAccountingAgentOptions.ConversationIdTag"/> when known), and carrying the user and tenant
    /// of the run options when they name them. Every usage record made during the run (by an accounted chat client
    /// the agent uses, including tool calls and nested agents) inherits these and is added into the scope; a nested
    /// agent's run opens its scope inside its caller's. Exceptions, a <see cref="BudgetExceededException"/>
    /// included, reach the caller unchanged, as the framework surfaces any run failure; the scope is closed either way.
    /// </summary>
    /// <param name="builder">The agent builder.</param>
    /// <param name="configure">Configures the middleware; optional.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    /// <exception cref="ArgumentException">When the agent is built: a configured key is blank; the message names it.</exception>
    public static AIAgentBuilder UseTokenAccounting(this AIAgentBuilder builder, Action<TokenAccountingAgentOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use(innerAgent =>
        {
            var options = new TokenAccountingAgentOptions();
            configure?.Invoke(options);
            return new AccountingAgent(innerAgent, options);
        });
    }
}
