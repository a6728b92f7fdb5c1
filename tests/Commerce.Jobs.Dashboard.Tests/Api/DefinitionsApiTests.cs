using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Commerce.Jobs.Dashboard.Tests.TestSupport;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Commerce.Jobs.Dashboard.Tests.Api;

/// <summary>Run-time job definitions over HTTP (<c>GET/PUT/DELETE api/jobs/{name}/definition</c>), on a real Kestrel server on 127.0.0.1.</summary>
public sealed class DefinitionsApiTests(DefinitionsApiTests.SharedHost shared) : IClassFixture<DefinitionsApiTests.SharedHost>
{
    private const string Submit = "/jobs/api/jobs/order-submit/definition";
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);

    /// <summary>Text from outside: control characters (NUL, CR, LF), lone surrogates, non-ASCII, empty, long.</summary>
    private static readonly Arbitrary<string> Hostile =
        (from n in Gen.Frequency((6, Gen.Choose(0, 24)), (1, Gen.Choose(200, 3000)))
         from chars in Gen.ArrayOf(Gen.Frequency(
             (4, Gen.Choose(' ', '~').Select(c => (char)c)),
             (2, Gen.Elements("{}[]\":,0123456789".ToCharArray())),
             (1, Gen.Elements('\0', '\r', '\n', '\t', '\u001f', '\u007f')),
             (1, Gen.Choose(0xD800, 0xDFFF).Select(c => (char)c)),
             (1, Gen.Elements('é', 'ß', '東', '\u00A0', '\u2028', '\uFFFF'))), n)
         select new string(chars)).ToArbitrary();

    [Fact]
    public async Task Get_shows_every_field_with_value_source_and_declared_value_and_the_version_as_a_quoted_ETag()
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = host.CreateClient();

        using var response = await client.GetAsync(Submit);
        var definition = await response.ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal("order-submit", definition.GetProperty("jobName").GetString());
        var version = definition.GetProperty("version").GetString()!;
        Assert.Equal(new EntityTagHeaderValue($"\"{version}\""), response.Headers.ETag);
        Assert.Equal(JobDefinitionFields.All, definition.GetProperty("fields").EnumerateObject().Select(f => f.Name));
        var interval = definition.GetProperty("fields").GetProperty(JobDefinitionFields.Interval);
        Assert.Equal("00:05:00", interval.GetProperty("value").GetString());
        Assert.Equal("Code", interval.GetProperty("source").GetString());
        Assert.Equal("00:05:00", interval.GetProperty("declaredValue").GetString());
        Assert.Equal(JsonValueKind.Null, definition.GetProperty("fields").GetProperty(JobDefinitionFields.DailyAt).GetProperty("value").ValueKind);
        Assert.Equal(Start.AddMinutes(5), definition.GetProperty("nextRun").GetDateTimeOffset());
        Assert.False(string.IsNullOrEmpty(definition.GetProperty("timeZone").GetString()));
        Assert.Equal(JsonValueKind.Null, definition.GetProperty("changedAt").ValueKind);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());

        Assert.Equal("02:00", Field(await (await client.GetAsync("/jobs/api/jobs/erp-health/definition")).ReadJsonAsync(HttpStatusCode.OK), JobDefinitionFields.DailyAt));
        Assert.Equal("100", Field(await (await client.GetAsync("/jobs/api/jobs/inventory-upload/definition")).ReadJsonAsync(HttpStatusCode.OK), JobDefinitionFields.BatchSize));
    }

    [Fact]
    public async Task Put_changes_the_fields_given_a_null_resets_one_and_the_answer_carries_the_new_ETag()
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = await host.CreateSessionAsync();
        var before = await GetAsync(client, Submit);

        using var response = await client.PutAsJsonAsync(Submit, new Dictionary<string, object?>
        {
            [JobDefinitionFields.Interval] = "00:01:00",
            [JobDefinitionFields.BatchSize] = 250,                  // a number is taken as its JSON text
            [JobDefinitionFields.NotifyOnFailure] = false,          // true / false as "true" / "false"
        });
        var changed = await response.ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal(new EntityTagHeaderValue($"\"{changed.GetProperty("version").GetString()}\""), response.Headers.ETag);
        Assert.NotEqual(before.GetProperty("version").GetString(), changed.GetProperty("version").GetString());
        Assert.Equal(("00:01:00", "Override", "00:05:00"), Describe(changed, JobDefinitionFields.Interval));
        Assert.Equal(("250", "Override", "100"), Describe(changed, JobDefinitionFields.BatchSize));
        Assert.Equal(("false", "Override", "true"), Describe(changed, JobDefinitionFields.NotifyOnFailure));
        Assert.Equal("Code", changed.GetProperty("fields").GetProperty(JobDefinitionFields.MaxConcurrency).GetProperty("source").GetString());
        Assert.Equal(Start, changed.GetProperty("changedAt").GetDateTimeOffset());
        // The changed interval counts from the change: the next run moves from 08:05 to 08:01 (the scheduler plans it on its own loop).
        await WaitUntilAsync(async () => (await GetAsync(client, Submit)).GetProperty("nextRun").GetDateTimeOffset() == Start.AddMinutes(1), "the next run to move to 08:01");
        Assert.Equal(Start.AddMinutes(1), (await (await client.GetAsync("/jobs/api/jobs/order-submit")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("nextRun").GetDateTimeOffset());

        var reset = await (await client.PutAsJsonAsync(Submit, new Dictionary<string, object?> { [JobDefinitionFields.BatchSize] = null })).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal(("100", "Code", "100"), Describe(reset, JobDefinitionFields.BatchSize));
        Assert.Equal(("00:01:00", "Override", "00:05:00"), Describe(reset, JobDefinitionFields.Interval));
        Assert.Equal(reset.GetProperty("version").GetString(), (await GetAsync(client, Submit)).GetProperty("version").GetString());
    }

    [Fact]
    public async Task A_change_is_made_as_the_signed_in_user()
    {
        await using var host = await DashboardHost.StartAsync(DashboardSecurityMode.Policy);
        using var admin = await host.CreateSessionAsync(user: "admin");

        var changed = await (await admin.PutAsJsonAsync(Submit, new Dictionary<string, object?> { [JobDefinitionFields.MaxConcurrency] = "2" })).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal("admin", changed.GetProperty("changedBy").GetString());
        using var anonymous = host.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(Submit)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PutAsJsonAsync(Submit, new Dictionary<string, object?> { [JobDefinitionFields.MaxConcurrency] = "3" })).StatusCode);
        using var other = host.CreateClient(user: "mallory");
        Assert.Equal(HttpStatusCode.Forbidden, (await other.DeleteAsync(Submit)).StatusCode);
        Assert.Equal("2", Field(await GetAsync(admin, Submit), JobDefinitionFields.MaxConcurrency));
    }

    [Fact]
    public async Task If_Match_with_a_stale_version_is_refused_with_412_and_star_or_the_current_ETag_is_accepted()
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = await host.CreateSessionAsync();
        var etag = (await client.GetAsync(Submit)).Headers.ETag!.Tag;
        await (await SendAsync(client, HttpMethod.Put, Submit, """{"BatchSize":"300"}""", ifMatch: etag)).ReadJsonAsync(HttpStatusCode.OK);

        // The first ETag is stale now: PUT and DELETE are refused, and nothing changes.
        var stale = await (await SendAsync(client, HttpMethod.Put, Submit, """{"BatchSize":"400"}""", ifMatch: etag)).ReadProblemAsync(HttpStatusCode.PreconditionFailed);
        Assert.Contains("order-submit", stale.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await (await SendAsync(client, HttpMethod.Delete, Submit, body: null, ifMatch: etag)).ReadProblemAsync(HttpStatusCode.PreconditionFailed);
        var current = await client.GetAsync(Submit);
        Assert.Equal("300", Field(await current.ReadJsonAsync(HttpStatusCode.OK), JobDefinitionFields.BatchSize));

        // A weak tag never matches (If-Match compares strongly); a list matches when one of its tags does.
        var tag = current.Headers.ETag!.Tag;
        await (await SendAsync(client, HttpMethod.Put, Submit, """{"BatchSize":"400"}""", ifMatch: "W/" + tag)).ReadProblemAsync(HttpStatusCode.PreconditionFailed);
        await (await SendAsync(client, HttpMethod.Put, Submit, """{"BatchSize":"400"}""", ifMatch: "not a tag")).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await SendAsync(client, HttpMethod.Put, Submit, """{"BatchSize":"400"}""", ifMatch: $"{etag}, {tag}")).ReadJsonAsync(HttpStatusCode.OK);
        await (await SendAsync(client, HttpMethod.Put, Submit, """{"BatchSize":"500"}""", ifMatch: "*")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("500", Field(await GetAsync(client, Submit), JobDefinitionFields.BatchSize));
    }

    [Fact]
    public async Task Delete_resets_every_field_to_its_declared_value()
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = await host.CreateSessionAsync();
        await (await client.PutAsJsonAsync(Submit, new Dictionary<string, object?> { ["interval"] = "00:02:00", ["RetryWindow:MaxRetries"] = 7, ["RunOnSchedule"] = false })).ReadJsonAsync(HttpStatusCode.OK);
        var etag = (await client.GetAsync(Submit)).Headers.ETag!.Tag;

        using var response = await SendAsync(client, HttpMethod.Delete, Submit, body: null, ifMatch: etag);
        var reset = await response.ReadJsonAsync(HttpStatusCode.OK);

        Assert.All(reset.GetProperty("fields").EnumerateObject(), f => Assert.Equal("Code", f.Value.GetProperty("source").GetString()));
        Assert.Equal("00:05:00", Field(reset, JobDefinitionFields.Interval));
        Assert.Equal("true", Field(reset, JobDefinitionFields.RunOnSchedule));
        Assert.Equal(new EntityTagHeaderValue($"\"{reset.GetProperty("version").GetString()}\""), response.Headers.ETag);
        Assert.NotEqual(etag, response.Headers.ETag!.Tag);
    }

    [Theory]
    [InlineData("""{"Interval":"ten minutes"}""", "Interval", "Job 'order-submit': Interval 'ten minutes' is not a time span")]
    [InlineData("""{"Interval":"00:00:00.5"}""", "Interval", "Job 'order-submit': Interval must be at least 00:00:01")]
    [InlineData("""{"BatchSize":-5}""", "BatchSize", "Job 'order-submit': BatchSize must be between 1 and 100000 (was -5).")]
    [InlineData("""{"BatchSize":"1.5"}""", "BatchSize", "Job 'order-submit': BatchSize '1.5' is not a whole number.")]
    [InlineData("""{"RetryWindow:MaxRetries":500}""", "RetryWindow:MaxRetries", "Job 'order-submit': RetryWindow.MaxRetries must be between 0 and 100 (was 500).")]
    [InlineData("""{"RetryWindow:Window":"2.00:00:00"}""", "RetryWindow:Window", "Job 'order-submit': RetryWindow.Window must be between")]
    [InlineData("""{"MaxAge":"-1.00:00:00"}""", "MaxAge", "Job 'order-submit': MaxAge must be positive")]
    [InlineData("""{"MaxArchivedRuns":0}""", "MaxArchivedRuns", "Job 'order-submit': MaxArchivedRuns must be between 1 and 100000 (was 0).")]
    [InlineData("""{"DailyAt":"25:00"}""", "DailyAt", "Job 'order-submit': DailyAt '25:00' is not a time of day")]
    [InlineData("""{"TimeZone":"Mars/Olympus"}""", "TimeZone", "Job 'order-submit': TimeZone 'Mars/Olympus' is not a known time zone id")]
    [InlineData("""{"Cron":"every day"}""", "Cron", "Job 'order-submit': Cron ")]
    [InlineData("""{"RunOnSchedule":"sometimes"}""", "RunOnSchedule", "Job 'order-submit': RunOnSchedule 'sometimes' is not true or false.")]
    [InlineData("""{"Frequency":"00:01:00"}""", "Frequency", "Job 'order-submit': 'Frequency' is not a setting that can change at run time")]
    [InlineData("""{"Interval":{"minutes":1}}""", "Interval", "Job 'order-submit': Interval must be text, a number, true, false or null")]
    [InlineData("""{"BatchSize":[1]}""", "BatchSize", "Job 'order-submit': BatchSize must be text, a number, true, false or null")]
    [InlineData("""{"BatchSize":1,"batchsize":2}""", "batchsize", "Job 'order-submit': batchsize is named more than once")]
    public async Task An_invalid_value_is_refused_with_400_and_its_message_under_its_field_and_nothing_changes(string body, string field, string message)
    {
        var client = await shared.ClientAsync();
        var before = await GetAsync(client, Submit);

        var problem = await (await SendAsync(client, HttpMethod.Put, Submit, body)).ReadProblemAsync(HttpStatusCode.BadRequest);

        var messages = problem.GetProperty("errors").GetProperty(field).EnumerateArray().Select(m => m.GetString()!).ToList();
        Assert.Contains(messages, m => m.StartsWith(message, StringComparison.Ordinal));
        Assert.Contains(message, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("order-submit", problem.GetProperty("jobName").GetString());
        Assert.Equal(before.GetProperty("version").GetString(), (await GetAsync(client, Submit)).GetProperty("version").GetString());
    }

    [Fact]
    public async Task Several_bad_values_are_each_refused_under_their_own_field()
    {
        var client = await shared.ClientAsync();

        var problem = await (await SendAsync(client, HttpMethod.Put, Submit, """{"BatchSize":0,"MaxConcurrency":2000,"CleanupRunsPerDay":25}""")).ReadProblemAsync(HttpStatusCode.BadRequest);

        var errors = problem.GetProperty("errors");
        Assert.Equal(["BatchSize", "CleanupRunsPerDay", "MaxConcurrency"], errors.EnumerateObject().Select(e => e.Name).Order(StringComparer.Ordinal));
        Assert.Contains("MaxConcurrency must be between 1 and 1000 (was 2000)", Assert.Single(errors.GetProperty("MaxConcurrency").EnumerateArray()).GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_job_is_404_on_every_method()
    {
        var client = await shared.ClientAsync();
        const string Missing = "/jobs/api/jobs/no-such-job/definition";

        await (await client.GetAsync(Missing)).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await SendAsync(client, HttpMethod.Put, Missing, """{"BatchSize":1}""")).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await SendAsync(client, HttpMethod.Delete, Missing, body: null)).ReadProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("[{\"BatchSize\":1}]")]
    [InlineData("\"BatchSize\"")]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("{}")]
    [InlineData("{\"BatchSize\":1} trailing")]
    [InlineData("{\"Interval\":\"\\ud800\"}")]
    [InlineData("{\"Interval\":\"00:01:00\u0000\r\n\"}")]
    [InlineData("{\"Interval\":\"東京\"}")]
    [InlineData("{\"\\u0000\":\"1\"}")]
    [InlineData("{\"BatchSize\":1e400}")]
    [InlineData("{\"BatchSize\":{\"a\":{\"b\":{\"c\":{\"d\":{}}}}}}")]
    public async Task A_hostile_body_is_a_400_problem_never_a_500(string body)
    {
        var client = await shared.ClientAsync();

        var problem = await (await SendAsync(client, HttpMethod.Put, Submit, body)).ReadProblemAsync(HttpStatusCode.BadRequest);

        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task A_body_that_is_not_UTF_8_or_too_large_or_not_JSON_is_refused()
    {
        var client = await shared.ClientAsync();

        using var invalidUtf8 = new ByteArrayContent([.. "{\"Interval\":\""u8, 0xFF, 0xFE, .. "\"}"u8]);
        invalidUtf8.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        await (await client.PutAsync(Submit, invalidUtf8)).ReadProblemAsync(HttpStatusCode.BadRequest);

        var huge = JsonSerializer.Serialize(new Dictionary<string, string> { ["Cron"] = new('*', 70_000) });
        var tooLarge = await (await SendAsync(client, HttpMethod.Put, Submit, huge)).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("64 KiB", tooLarge.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // Chunked (no Content-Length): the cap holds while reading.
        using var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(huge)));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Put, Submit) { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        await (await client.SendAsync(request)).ReadProblemAsync(HttpStatusCode.BadRequest);

        using var withBom = new ByteArrayContent([0xEF, 0xBB, 0xBF, .. "{\"BatchSize\":\"-1\"}"u8]);
        withBom.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var bom = await (await client.PutAsync(Submit, withBom)).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(bom.GetProperty("errors").TryGetProperty("BatchSize", out _), "A body after a byte order mark is read as JSON.");

        using var text = new StringContent("""{"BatchSize":1}""", Encoding.UTF8, "text/plain");
        await (await client.PutAsync(Submit, text)).ReadProblemAsync(HttpStatusCode.UnsupportedMediaType);
    }

    [Property(MaxTest = 60)]
    public Property Any_text_as_a_body_a_field_name_or_a_value_is_answered_200_or_400_never_500() =>
        Prop.ForAll(Hostile, text => Task.Run(async () =>
        {
            var client = await shared.ClientAsync();
            foreach (var body in new[]
            {
                text,
                "{\"" + JsonText(text) + "\":\"1\"}",
                "{\"Interval\":\"" + JsonText(text) + "\"}",
                "{\"TimeZone\":\"" + JsonText(text) + "\",\"DailyAt\":\"" + JsonText(text) + "\"}",
                "{\"" + JsonText(text) + "\":" + text + "}",
                "{\"Cron\":\"" + JsonText(text) + "\",\"MaxAge\":\"" + JsonText(text) + "\"}",
            })
            {
                using var response = await SendAsync(client, HttpMethod.Put, "/jobs/api/jobs/erp-health/definition", body);
                var answer = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"{(int)response.StatusCode} for {JsonSerializer.Serialize(body)}: {answer}");
                if (response.StatusCode == HttpStatusCode.BadRequest)
                {
                    Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                    using var problem = JsonDocument.Parse(answer);
                    Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("detail").GetString()));
                }
            }

            // Whatever was accepted, the job's definition still reads back, and a reset restores it.
            await (await SendAsync(client, HttpMethod.Delete, "/jobs/api/jobs/erp-health/definition", body: null)).ReadJsonAsync(HttpStatusCode.OK);
        }).GetAwaiter().GetResult());

    [Fact]
    public async Task Put_and_delete_need_the_antiforgery_token_and_get_does_not()
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = host.CreateClient();

        await (await client.GetAsync(Submit)).ReadJsonAsync(HttpStatusCode.OK);
        var put = await (await SendAsync(client, HttpMethod.Put, Submit, """{"BatchSize":"7"}""")).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("antiforgery", put.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var delete = await (await SendAsync(client, HttpMethod.Delete, Submit, body: null)).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("antiforgery", delete.GetProperty("detail").GetString(), StringComparison.Ordinal);

        Assert.Equal("100", Field(await GetAsync(client, Submit), JobDefinitionFields.BatchSize));
    }

    [Fact]
    public async Task A_forwarded_request_is_refused_by_the_local_only_rule()
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = await host.CreateSessionAsync();

        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Put, HttpMethod.Delete })
        {
            using var request = new HttpRequestMessage(method, Submit);
            if (method == HttpMethod.Put)
            {
                request.Content = new StringContent("""{"BatchSize":"7"}""", Encoding.UTF8, "application/json");
            }

            request.Headers.Add("X-Forwarded-For", "203.0.113.7");
            var problem = await (await client.SendAsync(request)).ReadProblemAsync(HttpStatusCode.Forbidden);
            Assert.Contains("local requests only", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal("100", Field(await GetAsync(client, Submit), JobDefinitionFields.BatchSize));
    }

    /// <summary>Text as the inside of a JSON string, every character outside printable ASCII escaped (lone surrogates too, as a hostile client may send them).</summary>
    private static string JsonText(string text)
    {
        var json = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            _ = c is >= ' ' and <= '~' and not '"' and not '\\' ? json.Append(c) : json.Append("\\u").Append(((int)c).ToString("x4"));
        }

        return json.ToString();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + DashboardHost.Patience;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Waited {DashboardHost.Patience} for {what}.");
            await Task.Delay(20);
        }
    }

    private static string? Field(JsonElement definition, string name) => definition.GetProperty("fields").GetProperty(name).GetProperty("value").GetString();

    private static (string?, string?, string?) Describe(JsonElement definition, string name)
    {
        var field = definition.GetProperty("fields").GetProperty(name);
        return (field.GetProperty("value").GetString(), field.GetProperty("source").GetString(), field.GetProperty("declaredValue").GetString());
    }

    private static async Task<JsonElement> GetAsync(HttpClient client, string path) => await (await client.GetAsync(path)).ReadJsonAsync(HttpStatusCode.OK);

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string? body, string? ifMatch = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return client.SendAsync(request);
    }

    /// <summary>One host for the tests that leave the definition as it was (refusals), so that a property can make many requests.</summary>
    public sealed class SharedHost : IAsyncLifetime
    {
        private DashboardHost? _host;
        private HttpClient? _client;

        public Task<HttpClient> ClientAsync() => Task.FromResult(_client!);

        public async Task InitializeAsync()
        {
            _host = await DashboardHost.StartAsync();
            _client = await _host.CreateSessionAsync();
        }

        public async Task DisposeAsync()
        {
            _client?.Dispose();
            if (_host is not null)
            {
                await _host.DisposeAsync();
            }
        }
    }
}
