using System.Runtime.CompilerServices;
using Commerce.Jobs.Notifications.Email.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MimeKit;

namespace Commerce.Jobs.Notifications.Email.Tests;

public sealed class EmailFailureNotifierTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_run_stopped_by_the_skip_threshold_is_mailed_with_every_field()
    {
        await using var smtp = await SmtpServer.StartAsync();
        var time = new FakeTimeProvider(EmailTestHost.Start);
        var services = new ServiceCollection().AddLogging().AddSingleton<TimeProvider>(time);
        var orders = Enumerable.Range(1, 10).Select(i => new Order($"SO{i:D2}")).ToArray();
        services.AddCommerceJobs(jobs =>
        {
            jobs.Configure(o => o.HostName = "web-01");
            jobs.AddEmailFailureNotifier(email =>
            {
                var o = EmailTestHost.Options(smtp.Port);
                email.SmtpHost = o.SmtpHost;
                email.SmtpPort = o.SmtpPort;
                email.Security = o.Security;
                email.From = o.From;
                foreach (var to in o.To)
                {
                    email.To.Add(to);
                }

                email.SiteName = o.SiteName;
                email.SiteTimeZone = o.SiteTimeZone;
                email.DashboardBaseAddress = o.DashboardBaseAddress;
                email.MaxFailedRecords = 3;
            });
            jobs.AddRecordJob<Order>("order-export")
                .ReadFrom(new Orders(orders))
                .DeliverTo(new Erp(id => string.CompareOrdinal(id, "SO05") >= 0 ? "unknown customer" : null))
                .Batch(size: 1, maxItemsToSkip: 3)
                .RetryWithin(maxRetries: 0, window: TimeSpan.FromMinutes(1));
        });
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToList();
        foreach (var service in hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }

        provider.GetRequiredService<IJobTrigger>().Trigger("order-export");
        var message = (await smtp.WaitForMessagesAsync(1))[0];
        foreach (var service in hosted)
        {
            await service.StopAsync(CancellationToken.None);
        }

        var run = Assert.Single(await provider.GetRequiredService<IJobMonitor>().GetRunsAsync("order-export", 10, CancellationToken.None));
        Assert.Equal(JobOutcome.Failed, run.Outcome);
        Assert.Equal("[Shop (EU)] Job 'order-export' failed on web-01", message.Subject);
        Assert.Equal(["jobs@shop.example"], message.From.Mailboxes.Select(m => m.Address));
        Assert.Equal(["admin@shop.example", "ops@shop.example"], message.To.Mailboxes.Select(m => m.Address));
        foreach (var body in new[] { message.TextBody, message.HtmlBody })
        {
            Assert.Contains("order-export", body);
            Assert.Contains("Shop (EU)", body);
            Assert.Contains("web-01", body);
            Assert.Contains("2026-01-05 08:00:00 UTC", body);
            Assert.Contains("2026-01-05 09:00:00 +01:00 Europe/Berlin", body);
            Assert.Contains(run.Trigger.ToString(), body);
            Assert.Contains("more than MaxItemsToSkip (3)", body);
            Assert.Contains($"read {run.Counts.Read}, delivered {run.Counts.Delivered}, skipped {run.Counts.Skipped}, failed {run.Counts.Failed}", body);
            Assert.Contains("SO05", body);
            Assert.Contains("SO07", body);
            Assert.DoesNotContain("SO08", body);   // MaxFailedRecords = 3
            Assert.Contains("unknown customer", body);
            Assert.Contains($"https://shop.example/jobs/api/jobs/order-export/runs/{run.RunId}", body);
        }
    }

    [Fact]
    public async Task Outside_text_is_html_encoded_and_cannot_break_a_line_or_a_header()
    {
        await using var smtp = await SmtpServer.StartAsync();
        await using var host = new EmailTestHost();
        using var notifier = host.Notifier(EmailTestHost.Options(smtp.Port));
        const string Error = "ERP said <b>no</b> & <script>alert(1)</script>\r\nBcc: victim@example.com\0";
        var failure = EmailTestHost.Failure("order\r\nBcc: evil@example.com<i>", Error, host.Time.GetUtcNow(), new RecordCounts(1, 0, 0, 1));
        await host.Store.AddRecordFailuresAsync(failure.JobName, [new Storage.RecordFailure("<img src=x onerror=alert(1)>\n\u0000", RecordStatus.PermanentFailure, "<b>bad</b>", 0, failure.Time)], CancellationToken.None);

        await notifier.NotifyAsync(failure, CancellationToken.None);

        var message = Assert.Single(await smtp.WaitForMessagesAsync(1));
        Assert.Equal(["admin@shop.example", "ops@shop.example"], message.To.Mailboxes.Select(m => m.Address));
        Assert.Empty(message.Bcc);
        Assert.DoesNotContain("\n", message.Subject, StringComparison.Ordinal);
        Assert.DoesNotContain("\r", message.Subject, StringComparison.Ordinal);
        var html = message.HtmlBody;
        Assert.DoesNotContain("<script>", html);
        Assert.DoesNotContain("<b>", html);
        Assert.DoesNotContain("<img", html);
        Assert.DoesNotContain("<i>", html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", html);
        Assert.Contains("&lt;b&gt;bad&lt;/b&gt;", html);
        Assert.DoesNotContain("\0", message.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("\nBcc: evil", message.TextBody);
    }

    [Fact]
    public async Task The_throttle_holds_over_a_burst_of_50_failures_on_two_hosts_and_the_next_email_summarises_them()
    {
        await using var smtp = await SmtpServer.StartAsync();
        await using var host = new EmailTestHost();
        var options = EmailTestHost.Options(smtp.Port);
        using var web1 = host.Notifier(options);
        using var web2 = host.Notifier(options);   // a second host on the same store

        for (var i = 0; i < 50; i++)
        {
            host.Time.Advance(TimeSpan.FromSeconds(10));
            var notifier = i % 2 == 0 ? web1 : web2;
            await notifier.NotifyAsync(EmailTestHost.Failure("order-export", $"ERP down ({i})", host.Time.GetUtcNow(), host: i % 2 == 0 ? "web-01" : "web-02"), CancellationToken.None);
        }

        // 50 failures in 500 s: the first is mailed, the other 49 held back. Another job is throttled on its own.
        await web2.NotifyAsync(EmailTestHost.Failure("inventory-upload", "SFTP refused", host.Time.GetUtcNow()), CancellationToken.None);
        var messages = await smtp.WaitForMessagesAsync(2);
        Assert.Equal(2, messages.Count);
        Assert.Contains("ERP down (0)", messages[0].TextBody);
        Assert.Contains("inventory-upload", messages[1].Subject);

        // The period (15 minutes from the first e-mail) ends: the next failure is mailed with the summary.
        host.Time.Advance(TimeSpan.FromMinutes(15));
        await web1.NotifyAsync(EmailTestHost.Failure("order-export", "ERP down (50)", host.Time.GetUtcNow()), CancellationToken.None);
        messages = await smtp.WaitForMessagesAsync(3);
        Assert.Equal(3, messages.Count);
        Assert.Contains("ERP down (50)", messages[2].TextBody);
        Assert.Contains("49 more failed runs since 2026-01-05 08:00:20 UTC", messages[2].TextBody);
        Assert.Contains("49 more failed runs since", messages[2].HtmlBody);

        // Recovery: told once, by whichever host sees it first.
        await web2.NotifyRecoveredAsync(EmailTestHost.Success("order-export", host.Time.GetUtcNow(), "web-02"), CancellationToken.None);
        await web1.NotifyRecoveredAsync(EmailTestHost.Success("order-export", host.Time.GetUtcNow()), CancellationToken.None);
        await web1.NotifyAsync(EmailTestHost.Failure("inventory-upload", "SFTP refused", host.Time.GetUtcNow()), CancellationToken.None);
        messages = await smtp.WaitForMessagesAsync(5);
        Assert.Equal(5, messages.Count);
        Assert.Equal("[Shop (EU)] Job 'order-export' recovered on web-02", messages[3].Subject);
        Assert.Contains("inventory-upload", messages[4].Subject);
    }

    [Fact]
    public async Task A_server_that_refuses_or_is_down_holds_no_run_and_a_send_is_tried_four_times_then_given_up()
    {
        await using var refusing = await SmtpServer.StartAsync(refuse: true);
        foreach (var port in new[] { refusing.Port, SmtpServer.ClosedPort() })
        {
            var time = new FakeTimeProvider(EmailTestHost.Start);
            var logs = new ListLoggerProvider();
            var services = new ServiceCollection().AddLogging(l => l.AddProvider(logs)).AddSingleton<TimeProvider>(time);
            services.AddCommerceJobs(jobs =>
            {
                jobs.AddEmailFailureNotifier(email =>
                {
                    email.SmtpHost = "127.0.0.1";
                    email.SmtpPort = port;
                    email.Security = EmailSecurity.None;
                    email.From = "jobs@shop.example";
                    email.To.Add("admin@shop.example");
                    email.ThrottlePeriod = TimeSpan.Zero;
                });
                jobs.AddJob("order-export", static (_, _) => ValueTask.FromResult(JobResult.Failed("ERP down")));
            });
            await using var provider = services.BuildServiceProvider();
            var hosted = provider.GetServices<IHostedService>().ToList();
            foreach (var service in hosted)
            {
                await service.StartAsync(CancellationToken.None);
            }

            var runner = provider.GetRequiredService<IJobRunner>();
            for (var i = 0; i < 5; i++)
            {
                var handle = runner.Enqueue("order-export", null);
                Assert.Equal(JobOutcome.Failed, (await handle.Completion.WaitAsync(Patience)).Outcome);
            }

            // Each notice's send is tried, then retried after 1 s, 5 s and 30 s on the clock, then given up.
            await Retries.GiveUpAsync(time, logs, sends: 5);
            await logs.WaitForLinesAsync("after 4 attempts", 5).WaitAsync(Patience);
            Assert.Equal(15, logs.Lines.Count(l => l.Contains("retrying in", StringComparison.Ordinal)));
            if (port == refusing.Port)
            {
                await refusing.WaitForRefusedAsync(20);
            }

            // Every notice was handled: stopping has nothing left to wait for on the clock.
            foreach (var service in hosted)
            {
                await service.StopAsync(CancellationToken.None).WaitAsync(Patience);
            }

            Assert.Equal(5, (await provider.GetRequiredService<IJobMonitor>().GetRunsAsync("order-export", 10, CancellationToken.None)).Count);
        }
    }

    [Fact]
    public async Task A_send_that_was_given_up_does_not_count_so_the_next_failure_and_the_next_recovery_are_mailed()
    {
        await using var refusing = await SmtpServer.StartAsync(refuse: true);
        await using var smtp = await SmtpServer.StartAsync();
        await using var host = new EmailTestHost();
        using var down = host.Notifier(EmailTestHost.Options(refusing.Port));   // a host whose relay refuses
        using var up = host.Notifier(EmailTestHost.Options(smtp.Port));        // a host on the same store whose relay works

        // The failure e-mail is given up after 4 attempts: the throttle period is not charged for it.
        var notify = down.NotifyAsync(EmailTestHost.Failure("order-export", "ERP down (1)", host.Time.GetUtcNow()), CancellationToken.None).AsTask();
        await Retries.GiveUpAsync(host.Time, host.Logs);
        await notify.WaitAsync(Patience);
        host.Time.Advance(TimeSpan.FromMinutes(1));
        await up.NotifyAsync(EmailTestHost.Failure("order-export", "ERP down (2)", host.Time.GetUtcNow(), host: "web-02"), CancellationToken.None);
        var failure = Assert.Single(await smtp.WaitForMessagesAsync(1));
        Assert.Contains("ERP down (2)", failure.TextBody);
        Assert.Contains("1 more failed run since 2026-01-05 08:00:00 UTC", failure.TextBody);   // the one not mailed

        // A recovery e-mail given up leaves the job failing: the next recovery is mailed.
        var recover = down.NotifyRecoveredAsync(EmailTestHost.Success("order-export", host.Time.GetUtcNow()), CancellationToken.None).AsTask();
        await Retries.GiveUpAsync(host.Time, host.Logs, retriedBefore: 3);
        await recover.WaitAsync(Patience);
        await up.NotifyRecoveredAsync(EmailTestHost.Success("order-export", host.Time.GetUtcNow(), "web-02"), CancellationToken.None);
        var messages = await smtp.WaitForMessagesAsync(2);
        Assert.Equal("[Shop (EU)] Job 'order-export' recovered on web-02", messages[1].Subject);
        await refusing.WaitForRefusedAsync(8);
    }

    [Fact]
    public async Task A_connection_that_fails_at_quit_after_the_message_was_taken_sends_it_once()
    {
        await using var smtp = await SmtpServer.StartAsync(dropQuit: true);
        await using var host = new EmailTestHost();
        using var notifier = host.Notifier(EmailTestHost.Options(smtp.Port));

        await notifier.NotifyAsync(EmailTestHost.Failure("order-export", "ERP down", host.Time.GetUtcNow()), CancellationToken.None).AsTask().WaitAsync(Patience);

        Assert.Single(await smtp.WaitForMessagesAsync(1));
        Assert.DoesNotContain(host.Logs.Lines, l => l.Contains("retrying in", StringComparison.Ordinal));
        Assert.Contains(host.Logs.Lines, l => l.Contains("sent '", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StartTls_with_a_self_signed_certificate_and_credentials_works_when_the_options_allow_the_certificate()
    {
        await using var smtp = await SmtpServer.StartAsync(tls: true, auth: ("jobs", "s3cret-Pa55"));
        await using var host = new EmailTestHost();
        var trusting = EmailTestHost.Options(smtp.Port, o =>
        {
            o.Security = EmailSecurity.StartTls;
            o.AllowInvalidCertificate = true;
            o.UserName = "jobs";
            o.Password = "s3cret-Pa55";
        });
        Assert.Empty(Validate(trusting));
        await new SmtpMailSender(trusting).SendAsync(Message(trusting), CancellationToken.None);
        Assert.Single(await smtp.WaitForMessagesAsync(1));

        // Without the explicit allowance the self-signed certificate is refused; a wrong password is refused too, and
        // neither the password nor the wrong one appears in the notifier's log.
        var strict = EmailTestHost.Options(smtp.Port, o =>
        {
            o.Security = EmailSecurity.StartTls;
            o.UserName = "jobs";
            o.Password = "s3cret-Pa55";
        });
        await Assert.ThrowsAnyAsync<Exception>(() => new SmtpMailSender(strict).SendAsync(Message(strict), CancellationToken.None));
        var wrong = EmailTestHost.Options(smtp.Port, o =>
        {
            o.Security = EmailSecurity.StartTls;
            o.AllowInvalidCertificate = true;
            o.UserName = "jobs";
            o.Password = "wr0ng-Pa55";
        });
        using var notifier = host.Notifier(wrong);
        var notify = notifier.NotifyAsync(EmailTestHost.Failure("order-export", "ERP down", host.Time.GetUtcNow()), CancellationToken.None).AsTask();
        await Retries.GiveUpAsync(host.Time, host.Logs);
        await notify.WaitAsync(Patience);
        Assert.Contains(host.Logs.Lines, l => l.Contains("after 4 attempts", StringComparison.Ordinal));
        Assert.DoesNotContain(host.Logs.Lines, l => l.Contains("Pa55", StringComparison.Ordinal));
        Assert.Single(smtp.Received);
    }

    [Fact]
    public async Task A_target_that_becomes_unhealthy_is_mailed_once_per_period()
    {
        await using var smtp = await SmtpServer.StartAsync();
        await using var host = new EmailTestHost();
        using var notifier = host.Notifier(EmailTestHost.Options(smtp.Port));
        var health = new TargetHealth
        {
            TargetName = "erp",
            State = TargetHealthState.Unhealthy,
            UnhealthySince = host.Time.GetUtcNow(),
            PausedUntil = host.Time.GetUtcNow().AddMinutes(1),
            LastError = "HTTP 503 <html>",
        };

        await notifier.NotifyTargetUnhealthyAsync(health, "web-01", CancellationToken.None);
        await notifier.NotifyTargetUnhealthyAsync(health, "web-01", CancellationToken.None);
        host.Time.Advance(TimeSpan.FromMinutes(15));
        await notifier.NotifyTargetUnhealthyAsync(health, "web-01", CancellationToken.None);

        var messages = await smtp.WaitForMessagesAsync(2);
        Assert.Equal("[Shop (EU)] Delivery target 'erp' is unhealthy on web-01", messages[0].Subject);
        Assert.Contains("HTTP 503 &lt;html&gt;", messages[0].HtmlBody);
        Assert.Contains("2026-01-05 08:01:00 UTC", messages[0].TextBody);
        Assert.Contains("1 more unhealthy notice since", messages[1].TextBody);
    }

    [Fact]
    public void Options_are_validated_with_messages_that_name_the_setting_and_never_the_password()
    {
        var bad = new EmailNotifierOptions
        {
            SmtpPort = 0,
            Security = EmailSecurity.None,
            UserName = "jobs",
            Password = "s3cret-Pa55",
            From = "not an address",
            SiteTimeZone = "Mars/Olympus",
            DashboardBaseAddress = new Uri("ftp://shop.example/"),
            ThrottlePeriod = TimeSpan.FromDays(2),
            MaxFailedRecords = -1,
            SendTimeout = TimeSpan.Zero,
        };
        bad.To.Add("admin-at-shop");

        var errors = Validate(bad);

        Assert.Contains(errors, e => e.Contains("SmtpHost is required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("SmtpPort must be between 1 and 65535 (was 0)", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Security None is refused when UserName or Password is set", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("From 'not an address' is not an e-mail address", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("To[0] 'admin-at-shop'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("SiteTimeZone 'Mars/Olympus'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("DashboardBaseAddress must be an absolute http or https address", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("ThrottlePeriod must be between", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("MaxFailedRecords must be between 0 and 1000 (was -1)", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("SendTimeout must be between", StringComparison.Ordinal));
        Assert.All(errors, e => Assert.StartsWith("E-mail failure notifier: ", e));
        Assert.DoesNotContain(errors, e => e.Contains("Pa55", StringComparison.Ordinal));
        Assert.Contains(Validate(new EmailNotifierOptions { SmtpHost = "smtp", From = "a@b.example" }), e => e.Contains("To needs at least one address", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bad_options_stop_the_host_at_start_up()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddCommerceJobs(jobs => jobs.AddEmailFailureNotifier(email => email.SmtpHost = "smtp.shop.example"));
        await using var provider = services.BuildServiceProvider();

        var startup = provider.GetRequiredService<IStartupValidator>();
        var error = Assert.Throws<OptionsValidationException>(startup.Validate);
        Assert.Contains("E-mail failure notifier: From is required.", error.Message);
    }

    private static List<string> Validate(EmailNotifierOptions options)
    {
        var result = new EmailNotifierOptionsValidator().Validate(null, options);
        return result.Failed ? [.. result.Failures!] : [];
    }

    private static MimeMessage Message(EmailNotifierOptions options)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(options.From!));
        message.To.Add(MailboxAddress.Parse(options.To[0]));
        message.Subject = "test";
        message.Body = new TextPart("plain") { Text = "test" };
        return message;
    }

    public sealed record Order(string RecordId) : IRecord;

    private sealed class Orders(Order[] orders) : IRecordSource<Order>
    {
        public async IAsyncEnumerable<Order> ReadAsync(RecordQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            foreach (var order in orders)
            {
                await Task.Yield();
                yield return order;
            }
        }
    }

    private sealed class Erp(Func<string, string?> reject) : IDeliveryTarget<Order>
    {
        public ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<Order> batch, CancellationToken cancellationToken)
        {
            var outcomes = new RecordOutcome[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                outcomes[i] = reject(batch.GetRecordId(i)) is { } error ? new RecordOutcome(RecordStatus.PermanentFailure, error) : new RecordOutcome(RecordStatus.Delivered, null);
            }

            return ValueTask.FromResult(DeliveryResult.PerRecord(outcomes));
        }
    }
}
