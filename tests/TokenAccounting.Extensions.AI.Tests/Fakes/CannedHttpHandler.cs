using System.Net;
using System.Text;

namespace TokenAccounting.Extensions.AI.Tests.Fakes;

/// <summary>
/// An <see cref="HttpMessageHandler"/> that answers every request with the next canned response (a JSON body or a
/// server-sent-event stream), keeping each request's path and body, so a real SDK runs end to end with no network.
/// </summary>
internal sealed class CannedHttpHandler : HttpMessageHandler
{
    private readonly Queue<(string MediaType, string Body)> _responses = new();

    public List<(string Path, string Body)> Requests { get; } = [];

    public CannedHttpHandler Json(string body)
    {
        _responses.Enqueue(("application/json", body));
        return this;
    }

    /// <summary>Queues a server-sent-event stream: each event as written on the wire (<c>event:</c>/<c>data:</c> lines).</summary>
    public CannedHttpHandler EventStream(string body)
    {
        _responses.Enqueue(("text/event-stream", body));
        return this;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? string.Empty : await request.Content.ReadAsStringAsync(cancellationToken);
        Requests.Add((request.RequestUri!.AbsolutePath, body));
        if (_responses.Count == 0)
        {
            throw new InvalidOperationException($"No canned response left for {request.Method} {request.RequestUri}.");
        }

        var (mediaType, text) = _responses.Dequeue();
        return new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent(text, Encoding.UTF8, mediaType),
            RequestMessage = request,
        };
    }
}
