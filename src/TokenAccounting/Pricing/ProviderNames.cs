namespace TokenAccounting;

/// <summary>
/// Normalizes provider names from OpenTelemetry (<c>gcp.gemini</c>), LiteLLM (<c>vertex_ai-language-models</c>) and
/// users (<c>Google</c>) to one family name, so a price listed under one spelling matches records using another.
/// </summary>
internal static class ProviderNames
{
    public static string? Normalize(string? provider)
    {
        if (string.IsNullOrWhiteSpace(provider))
        {
            return null;
        }

        var p = provider.Trim().ToLowerInvariant();
        return p switch
        {
            "openai" or "text-completion-openai" or "openai.responses" or "chatgpt" => "openai",
            "anthropic" or "anthropic.claude" => "anthropic",
            "google" or "gemini" or "gcp.gemini" or "gcp.gen_ai" or "gcp.vertex_ai" or "google_genai" or "google.gemini" or "vertex_ai" or "vertex" or "vertexai" => "google",
            "mistral" or "mistral_ai" or "mistralai" or "mistral-ai" => "mistral",
            "deepseek" or "deepseek-ai" => "deepseek",
            "xai" or "x_ai" or "x-ai" or "x.ai" or "grok" => "xai",
            "azure" or "azure_ai" or "azure.ai.openai" or "azure.ai.inference" or "azure_openai" or "azure-openai" => "azure",
            "bedrock" or "aws.bedrock" or "bedrock_converse" or "aws_bedrock" or "aws" or "amazon_bedrock" or "amazon-bedrock" => "aws.bedrock",
            "together_ai" or "together-ai" or "togetherai" => "together",
            "fireworks_ai" or "fireworks-ai" => "fireworks",
            "moonshot" or "moonshot_ai" => "moonshotai",
            "voyage" or "voyage_ai" => "voyageai",
            "zhipu" or "zai" or "z.ai" => "zhipuai",
            "cohere_chat" => "cohere",
            _ when p.StartsWith("vertex_ai", StringComparison.Ordinal) => "google",
            _ when p.StartsWith("bedrock", StringComparison.Ordinal) => "aws.bedrock",
            _ => p,
        };
    }

    /// <summary>Whether a model-name prefix such as <c>openai</c> in <c>openai/gpt-4o</c> names a provider we know.</summary>
    public static bool IsKnownFamily(string? family) => family is "openai" or "anthropic" or "google" or "mistral" or "deepseek" or "xai" or "azure" or "aws.bedrock";
}
