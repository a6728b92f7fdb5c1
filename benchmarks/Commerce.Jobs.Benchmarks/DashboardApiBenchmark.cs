using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Commerce.Jobs.Benchmarks.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Benchmarks;

/// <summary>
/// The dashboard's management API as an administrator's page uses it: a real ASP.NET Core host on Kestrel at
/// 127.0.0.1 (free port) with <c>MapCommerceJobs("/jobs", o => o.LocalOnly = true)</c>, and one <see cref="HttpClient"/>
/// on one warm keep-alive connection, with the session's antiforgery cookie and header. One operation is one request,
/// the response body read to its end (into a reused buffer, not kept). The engine runs on a
/// <see cref="FakeTimeProvider"/> that never moves, so no job fires by itself: the jobs are plain (a body that
/// succeeds at once) with interval schedules of 5 to 54 minutes, registered the documented way
/// (<c>AddJob(...).Schedule(Schedule.Every(...))</c>).
/// <list type="bullet">
/// <item><see cref="ListJobs"/>: <c>GET /jobs/api/jobs</c>, the default first page (500 jobs), with 1,000 and 10,000 jobs.</item>
/// <item><see cref="SearchOne"/>: <c>GET /jobs/api/jobs?search=job-09999</c>, one match of 10,000.</item>
/// <item><see cref="RunNow"/>: <c>POST /jobs/api/jobs/job-00001/run?wait=30</c>, run now and wait for the outcome (200 Finished).</item>
/// </list>
/// The client and the server share the process: time and <c>Allocated</c> (all threads) are both sides together.
/// </summary>
[Config(typeof(DashboardConfig))]
[MemoryDiagnoser]
[BenchmarkCategory(BenchSettings.DashboardCategory)]
public class DashboardApiBenchmark : IDisposable
{
    public const int LargestJobCount = 10_000;

    private static readonly Uri ListUri = new("/jobs/api/jobs", UriKind.Relative);
    private static readonly Uri SearchUri = new("/jobs/api/jobs?search=job-09999", UriKind.Relative);
    private static readonly Uri RunUri = new("/jobs/api/jobs/job-00001/run?wait=30", UriKind.Relative);
    private static readonly Uri SessionUri = new("/jobs/api/dashboard", UriKind.Relative);

    private readonly byte[] _buffer = new byte[64 * 1024];
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    [Params(1_000, LargestJobCount)]
    public int Jobs { get; set; }

    [GlobalSetup]
    public async Task StartAsync()
    {
        var started = Stopwatch.GetTimestamp();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero));
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddAntiforgery();
        builder.Services.AddCommerceJobs(jobs =>
        {
            for (var i = 0; i < Jobs; i++)
            {
                jobs.AddJob($"job-{i:D5}", static (_, _) => ValueTask.FromResult(JobResult.Success))
                    .Schedule(Schedule.Every(TimeSpan.FromMinutes(5 + (i % 50))));
            }
        });

        _app = builder.Build();
        _app.MapCommerceJobs("/jobs", o => o.LocalOnly = true);
        await _app.StartAsync();
        Metrics.Write(this, Metrics.AnyMethod, "host-startup", Stopwatch.GetElapsedTime(started).Ticks * 100.0);

        var address = new Uri(_app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());
        var handler = new SocketsHttpHandler
        {
            CookieContainer = new CookieContainer(),
            UseCookies = true,
            AllowAutoRedirect = false,
            MaxConnectionsPerServer = 1,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(30),
        };
        _client = new HttpClient(handler) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        _client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        // The page's first request: the antiforgery cookie (kept by the handler) and the header it wants.
        using (var session = JsonDocument.Parse(await _client.GetStringAsync(SessionUri)))
        {
            var root = session.RootElement;
            _client.DefaultRequestHeaders.Add(root.GetProperty("antiforgeryHeaderName").GetString()!, root.GetProperty("antiforgeryToken").GetString());
        }

        // Check that every request answers what it should, and note the body sizes.
        using (var list = JsonDocument.Parse(await _client.GetStringAsync(ListUri)))
        {
            Expect(list.RootElement.GetProperty("total").GetInt32() == Jobs && list.RootElement.GetProperty("jobs").GetArrayLength() == Math.Min(500, Jobs), "the list");
        }

        using (var search = JsonDocument.Parse(await _client.GetStringAsync(SearchUri)))
        {
            Expect(search.RootElement.GetProperty("total").GetInt32() == (Jobs >= LargestJobCount ? 1 : 0), "the search");
        }

        using (var response = await _client.PostAsync(RunUri, null))
        using (var run = JsonDocument.Parse(await response.Content.ReadAsStringAsync()))
        {
            Expect(response.StatusCode == HttpStatusCode.OK && run.RootElement.GetProperty("status").GetString() == "Finished", "run now");
        }

        Metrics.Write(this, nameof(ListJobs), "body-bytes", await ListJobs());
        Metrics.Write(this, nameof(SearchOne), "body-bytes", await SearchOne());
        Metrics.Write(this, nameof(RunNow), "body-bytes", await RunNow());
    }

    [GlobalCleanup]
    public async Task StopAsync()
    {
        Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public void Dispose()
    {
        _client?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>The overview's first page: 500 jobs (of 1,000 or 10,000) and the targets' health.</summary>
    [Benchmark]
    public Task<long> ListJobs() => SendAsync(HttpMethod.Get, ListUri);

    /// <summary>The overview filtered by name to one job of 10,000.</summary>
    [Benchmark]
    public Task<long> SearchOne() => SendAsync(HttpMethod.Get, SearchUri);

    /// <summary>Run now, waiting for the outcome: antiforgery check, the run on an engine worker, history, answer.</summary>
    [Benchmark]
    public Task<long> RunNow() => SendAsync(HttpMethod.Post, RunUri);

    private static void Expect(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"DashboardApiBenchmark: {what} did not answer as expected.");
        }
    }

    private async Task<long> SendAsync(HttpMethod method, Uri uri)
    {
        using var request = new HttpRequestMessage(method, uri);
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {uri} answered {(int)response.StatusCode}.");
        }

        await using var body = await response.Content.ReadAsStreamAsync();
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(_buffer)) > 0)
        {
            total += read;
        }

        return total;
    }
}
