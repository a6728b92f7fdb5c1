using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.IntegrationTests.Adapters.TestSupport;

/// <summary>A Kestrel server on 127.0.0.1 that answers every request as told (a status, headers, a delay), for error mapping.</summary>
public sealed class FaultServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _requests = new();

    private FaultServer(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public Func<HttpContext, Task> Respond { get; set; } = context =>
    {
        context.Response.StatusCode = 200;
        return Task.CompletedTask;
    };

    public IReadOnlyCollection<string> Requests => _requests;

    public static async Task<FaultServer> StartAsync(Func<HttpContext, Task>? respond = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FaultServer(app);
        if (respond is not null)
        {
            server.Respond = respond;
        }

        app.Urls.Add("http://127.0.0.1:0");
        app.Run(async context =>
        {
            server._requests.Enqueue($"{context.Request.Method} {context.Request.Path}");
            await server.Respond(context);
        });
        await app.StartAsync();
        server.BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        return server;
    }

    /// <summary>Answers with a storage-style error: <c>x-ms-error-code</c> and an XML body.</summary>
    public static Func<HttpContext, Task> StorageError(int status, string code, params (string Name, string Value)[] headers) => async context =>
    {
        context.Response.StatusCode = status;
        context.Response.Headers["x-ms-error-code"] = code;
        foreach (var (name, value) in headers)
        {
            context.Response.Headers[name] = value;
        }

        context.Response.ContentType = "application/xml";
        await context.Response.WriteAsync($"<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>Injected {status}.</Message></Error>");
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
