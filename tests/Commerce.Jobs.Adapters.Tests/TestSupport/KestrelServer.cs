using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.Adapters.Tests.TestSupport;

/// <summary>
/// A real Kestrel server on 127.0.0.1 and a random port, shared by a test class. Each test takes its own endpoint
/// (a fresh path) and scripts its answers; every request is recorded with its headers and exact body bytes.
/// </summary>
public sealed class KestrelServer : IAsyncLifetime
{
    private readonly ConcurrentDictionary<string, TestEndpoint> _endpoints = new(StringComparer.Ordinal);
    private WebApplication? _app;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Gets a client that, like the one <c>AddHttpTarget</c> registers, does not follow redirects.</summary>
    public HttpClient Client { get; } = new(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan };

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Urls.Add("http://127.0.0.1:0");
        _app.Run(HandleAsync);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        BaseAddress = new Uri(address);
    }

    /// <summary>Creates an endpoint that answers 200 with no body until told otherwise.</summary>
    public TestEndpoint NewEndpoint(Func<Call, Task>? respond = null)
    {
        var path = "/hooks/" + Guid.NewGuid().ToString("N");
        var endpoint = new TestEndpoint(new Uri(BaseAddress, path)) { Respond = respond ?? Responses.Status(200) };
        _endpoints[path] = endpoint;
        return endpoint;
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (!_endpoints.TryGetValue(context.Request.Path.Value ?? string.Empty, out var endpoint))
        {
            context.Response.StatusCode = 404;
            return;
        }

        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var request = new ReceivedRequest(context.Request.Method, context.Request.ContentType, headers, body.ToArray());
        var index = endpoint.Record(request);
        await endpoint.Respond(new Call(request, index, context));
    }
}

/// <summary>One path of the server: what it received and how it answers.</summary>
public sealed class TestEndpoint(Uri uri)
{
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private readonly Lock _gate = new();
    private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];

    public Uri Uri { get; } = uri;

    /// <summary>Gets or sets the answer to a call; <see cref="Call.Index"/> is 0 for the first request.</summary>
    public Func<Call, Task> Respond { get; set; } = Responses.Status(200);

    public IReadOnlyList<ReceivedRequest> Requests => _requests.ToArray();

    /// <summary>Waits (bounded) until <paramref name="count"/> requests have arrived.</summary>
    public Task WaitForRequestsAsync(int count)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_requests.Count >= count)
            {
                return Task.CompletedTask;
            }

            _waiters.Add((count, done));
        }

        return done.Task.WaitAsync(TimeSpan.FromMinutes(1));
    }

    internal int Record(ReceivedRequest request)
    {
        lock (_gate)
        {
            _requests.Enqueue(request);
            var count = _requests.Count;
            foreach (var waiter in _waiters.Where(w => w.Count <= count).ToList())
            {
                waiter.Done.TrySetResult();
                _waiters.Remove(waiter);
            }

            return count - 1;
        }
    }
}

public sealed record ReceivedRequest(string Method, string? ContentType, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    public JsonElement Json() => JsonDocument.Parse(Body).RootElement.Clone();
}

public sealed record Call(ReceivedRequest Request, int Index, HttpContext Context);

/// <summary>Scripted answers.</summary>
public static class Responses
{
    public static Func<Call, Task> Status(int status, string? body = null, string contentType = "application/json", params (string Name, string Value)[] headers) => async call =>
    {
        var response = call.Context.Response;
        response.StatusCode = status;
        foreach (var (name, value) in headers)
        {
            response.Headers[name] = value;
        }

        if (body is not null)
        {
            response.ContentType = contentType;
            await response.WriteAsync(body);
        }
    };

    /// <summary>Answers the calls in turn; the last answer repeats.</summary>
    public static Func<Call, Task> Sequence(params Func<Call, Task>[] answers) => call => answers[Math.Min(call.Index, answers.Length - 1)](call);

    /// <summary>Holds the request until the client gives up (or <paramref name="delay"/> passes), then answers 200.</summary>
    public static Func<Call, Task> Slow(TimeSpan delay) => async call =>
    {
        try
        {
            await Task.Delay(delay, call.Context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        call.Context.Response.StatusCode = 200;
    };
}
