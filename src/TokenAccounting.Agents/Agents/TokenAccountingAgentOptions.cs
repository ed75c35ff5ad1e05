using Microsoft.Agents.AI;

namespace TokenAccounting;

/// <summary>Options of the agent middleware added by <c>AIAgentBuilder.UseTokenAccounting(...)</c>.</summary>
public sealed class TokenAccountingAgentOptions
{
    /// <summary>The tag that carries the agent's name on every record of a run: <c>gen_ai.agent.name</c> (OpenTelemetry GenAI).</summary>
    public const string AgentNameTag = "gen_ai.agent.name";

    /// <summary>The tag that carries the agent's id on every record of a run: <c>gen_ai.agent.id</c> (OpenTelemetry GenAI).</summary>
    public const string AgentIdTag = "gen_ai.agent.id";

    /// <summary>
    /// The tag that carries the session's id on every record of a run: <c>tokenaccounting.agent.session_id</c>. The id
    /// is created on the session's first accounted run and kept in its <see cref="AgentSession.StateBag"/> (under
    /// <see cref="SessionIdStateKey"/>), so it survives the session's serialization and stays the same for every turn.
    /// </summary>
    public const string SessionIdTag = "tokenaccounting.agent.session_id";

    /// <summary>
    /// The tag that carries a <see cref="ChatClientAgentSession.ConversationId"/> when the service keeps the
    /// conversation: <c>gen_ai.conversation.id</c> (OpenTelemetry GenAI). It may change between turns.
    /// </summary>
    public const string ConversationIdTag = "gen_ai.conversation.id";

    /// <summary>The <see cref="AgentSession.StateBag"/> key under which the session's accounting id is kept.</summary>
    public const string SessionIdStateKey = "tokenaccounting.session_id";

    /// <summary>
    /// Gets or sets the key of <see cref="AgentRunOptions.AdditionalProperties"/> (or of the
    /// <see cref="Microsoft.Extensions.AI.ChatOptions.AdditionalProperties"/> of a <see cref="ChatClientAgentRunOptions"/>)
    /// whose string value is the user the run is for. A run without it inherits the user of the enclosing scope.
    /// </summary>
    /// <value>The default value is <c>"user_id"</c>.</value>
    public string UserIdKey { get; set; } = "user_id";

    /// <summary>Gets or sets the key, looked up like <see cref="UserIdKey"/>, whose string value is the run's tenant.</summary>
    /// <value>The default value is <c>"tenant_id"</c>.</value>
    public string TenantIdKey { get; set; } = "tenant_id";

    /// <summary>
    /// Gets or sets the name of the scope a run opens, from the agent. The agent's name, else its id, names it
    /// when this is null or returns a blank name.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Func<AIAgent, string?>? ScopeName { get; set; }
}
