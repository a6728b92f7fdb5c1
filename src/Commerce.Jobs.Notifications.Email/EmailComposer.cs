using System.Globalization;
using System.Net;
using System.Text;
using Commerce.Jobs.Storage;
using MimeKit;

namespace Commerce.Jobs.Notifications.Email;

/// <summary>
/// Writes the notifier's e-mails: one model (fields, failed records, summary, link) rendered as plain text and as simple
/// HTML. Every outside value goes through <see cref="MailText"/> first, and is HTML-encoded in the HTML part.
/// </summary>
internal sealed class EmailComposer
{
    private readonly EmailNotifierOptions _options;
    private readonly TimeZoneInfo _zone;
    private readonly InternetAddress _from;
    private readonly InternetAddressList _to = [];

    public EmailComposer(EmailNotifierOptions options)
    {
        _options = options;
        _zone = options.SiteTimeZone is { } id ? TimeZoneInfo.FindSystemTimeZoneById(id) : TimeZoneInfo.Local;
        _from = MailboxAddress.Parse(options.From!);
        foreach (var to in options.To)
        {
            _to.Add(MailboxAddress.Parse(to));
        }
    }

    public MimeMessage Failure(JobFailure failure, IReadOnlyList<RecordFailure> records, ThrottleDecision throttle)
    {
        var run = failure.Run;
        var job = MailText.Line(failure.JobName);
        var host = MailText.Line(failure.HostName);
        var failed = run.Outcome == JobOutcome.Failed;
        var fields = new List<Field>
        {
            new("Job", job),
            new("Site", Site()),
            new("Host", host),
            new("When", When(failure.Time)),
            new("Trigger", run.Trigger.ToString()),
            new("Outcome", run.Outcome.ToString()),
            new("Run", run.RunId.ToString()),
            new("Error", MailText.Block(failure.Error), Multiline: true),
            new("Records", string.Create(CultureInfo.InvariantCulture, $"read {run.Counts.Read}, delivered {run.Counts.Delivered}, skipped {run.Counts.Skipped}, failed {run.Counts.Failed}")),
        };

        var listed = records.Select(r => (MailText.Line(r.RecordId), MailText.Block(r.Error, EmailNotifierDefaults.MaxLineLength * 2))).ToList();
        var content = new Content(
            Subject($"Job '{job}' {(failed ? "failed" : $"ended {run.Outcome}")} on {host}"),
            $"Job '{job}' {(failed ? "failed" : $"ended {run.Outcome}")} on {host}.",
            fields,
            listed,
            listed.Count == 0 ? null : $"Failed records of this run (first {listed.Count}, by id)",
            Summary(throttle, "failed run"),
            RunLink(failure.JobName, run.RunId));
        return Render(content);
    }

    public MimeMessage Recovered(JobRun run, ThrottleDecision throttle)
    {
        var job = MailText.Line(run.JobName);
        var host = MailText.Line(run.HostName);
        var fields = new List<Field>
        {
            new("Job", job),
            new("Site", Site()),
            new("Host", host),
            new("When", When(run.EndedAt)),
            new("Trigger", run.Trigger.ToString()),
            new("Outcome", run.Outcome.ToString()),
            new("Run", run.RunId.ToString()),
            new("Records", string.Create(CultureInfo.InvariantCulture, $"read {run.Counts.Read}, delivered {run.Counts.Delivered}, skipped {run.Counts.Skipped}, failed {run.Counts.Failed}")),
        };

        return Render(new Content(
            Subject($"Job '{job}' recovered on {host}"),
            $"Job '{job}' ran without failing again on {host}.",
            fields,
            [],
            null,
            Summary(throttle, "failed run"),
            RunLink(run.JobName, run.RunId)));
    }

    public MimeMessage TargetUnhealthy(TargetHealth health, string hostName, DateTimeOffset now, ThrottleDecision throttle)
    {
        var target = MailText.Line(health.TargetName);
        var host = MailText.Line(hostName);
        var fields = new List<Field>
        {
            new("Target", target),
            new("Site", Site()),
            new("Host", host),
            new("When", When(health.UnhealthySince ?? now)),
            new("Deliveries resume", health.PausedUntil is { } until ? When(until) : "when the target answers again"),
            new("Last error", MailText.Block(health.LastError), Multiline: true),
        };

        return Render(new Content(
            Subject($"Delivery target '{target}' is unhealthy on {host}"),
            $"Delivery target '{target}' is unhealthy: deliveries to it pause for a break instead of burning retries.",
            fields,
            [],
            null,
            Summary(throttle, "unhealthy notice"),
            null));
    }

    /// <summary>"3 more failed runs": how many notices the throttle held back, in words.</summary>
    internal static string SuppressedText(int suppressed, string noun) => suppressed == 1
        ? $"1 more {noun}"
        : string.Create(CultureInfo.InvariantCulture, $"{suppressed} more {noun}s");

    private static MimeMessage RenderMessage(Content content, InternetAddress from, InternetAddressList to)
    {
        var message = new MimeMessage();
        message.From.Add(from);
        message.To.AddRange(to);
        message.Subject = content.Subject;
        var body = new BodyBuilder { TextBody = Text(content), HtmlBody = Html(content) };
        message.Body = body.ToMessageBody();
        return message;
    }

    private static string Text(Content content)
    {
        var text = new StringBuilder();
        text.Append(content.Heading).Append('\n');
        if (content.Summary is { } summary)
        {
            text.Append('\n').Append(summary).Append('\n');
        }

        text.Append('\n');
        foreach (var field in content.Fields)
        {
            var value = field.Multiline ? field.Value.Replace("\n", "\n    ", StringComparison.Ordinal) : field.Value;
            text.Append(field.Label).Append(": ").Append(value).Append('\n');
        }

        if (content.RecordsHeading is { } heading)
        {
            text.Append('\n').Append(heading).Append(":\n");
            foreach (var (id, error) in content.Records)
            {
                text.Append("  ").Append(id).Append(": ").Append(error.Replace("\n", " ", StringComparison.Ordinal)).Append('\n');
            }
        }

        if (content.Link is { } link)
        {
            text.Append('\n').Append(RunLinkText).Append(": ").Append(link.AbsoluteUri).Append('\n');
        }

        return text.ToString();
    }

    private static string Html(Content content)
    {
        static string E(string text) => WebUtility.HtmlEncode(text);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><body style=\"font-family: sans-serif\">");
        html.Append("<p><strong>").Append(E(content.Heading)).Append("</strong></p>");
        if (content.Summary is { } summary)
        {
            html.Append("<p>").Append(E(summary)).Append("</p>");
        }

        html.Append("<table cellpadding=\"4\" style=\"border-collapse: collapse\">");
        foreach (var field in content.Fields)
        {
            html.Append("<tr><th align=\"left\" valign=\"top\">").Append(E(field.Label)).Append("</th><td>");
            if (field.Multiline)
            {
                html.Append("<pre style=\"white-space: pre-wrap; margin: 0\">").Append(E(field.Value)).Append("</pre>");
            }
            else
            {
                html.Append(E(field.Value));
            }

            html.Append("</td></tr>");
        }

        html.Append("</table>");
        if (content.RecordsHeading is { } heading)
        {
            html.Append("<p>").Append(E(heading)).Append(":</p><table cellpadding=\"4\" border=\"1\" style=\"border-collapse: collapse\"><tr><th>Record</th><th>Error</th></tr>");
            foreach (var (id, error) in content.Records)
            {
                html.Append("<tr><td>").Append(E(id)).Append("</td><td>").Append(E(error)).Append("</td></tr>");
            }

            html.Append("</table>");
        }

        if (content.Link is { } link)
        {
            html.Append("<p><a href=\"").Append(E(link.AbsoluteUri)).Append("\">").Append(RunLinkText).Append("</a></p>");
        }

        html.Append("</body></html>");
        return html.ToString();
    }

    private MimeMessage Render(Content content) => RenderMessage(content, _from, _to);

    private string Subject(string text)
    {
        var site = Site();
        return MailText.Line(site.Length == 0 ? text : $"[{site}] {text}", EmailNotifierDefaults.MaxLineLength * 2);
    }

    private string Site() => MailText.Line(_options.SiteName);

    private string When(DateTimeOffset time)
    {
        var utc = time.ToUniversalTime();
        var local = TimeZoneInfo.ConvertTime(utc, _zone);
        return string.Create(CultureInfo.InvariantCulture, $"{utc:yyyy-MM-dd HH:mm:ss} UTC ({local:yyyy-MM-dd HH:mm:ss zzz} {_zone.Id})");
    }

    private string? Summary(ThrottleDecision throttle, string noun) => throttle.Suppressed <= 0
        ? null
        : $"{SuppressedText(throttle.Suppressed, noun)} since {When(throttle.SuppressedSince ?? default)} (not mailed: at most one e-mail every {_options.ThrottlePeriod.ToString("c", CultureInfo.InvariantCulture)}).";

    /// <summary>What the run's link is called: the dashboard's API answers with the run's record as JSON (not a page).</summary>
    /// <remarks>The one place of the link, with <see cref="RunLink"/>: a dashboard run page replaces both.</remarks>
    private const string RunLinkText = "The run's record (JSON) on the dashboard's API";

    /// <summary>The run's record on the dashboard's API (<c>{address}api/jobs/{job}/runs/{run id}</c>), or none without an address.</summary>
    private Uri? RunLink(string jobName, Guid runId)
    {
        if (_options.DashboardBaseAddress is not { } dashboard)
        {
            return null;
        }

        var root = dashboard.AbsoluteUri.EndsWith('/') ? dashboard : new Uri(dashboard.AbsoluteUri + "/");
        return new Uri(root, $"api/jobs/{Uri.EscapeDataString(jobName)}/runs/{runId}");
    }

    private sealed record Field(string Label, string Value, bool Multiline = false);

    private sealed record Content(string Subject, string Heading, IReadOnlyList<Field> Fields, IReadOnlyList<(string Id, string Error)> Records, string? RecordsHeading, string? Summary, Uri? Link);
}
