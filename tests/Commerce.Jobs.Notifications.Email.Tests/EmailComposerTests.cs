using System.Text.RegularExpressions;
using Commerce.Jobs.Notifications.Email.Tests.TestSupport;
using Commerce.Jobs.Storage;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MimeKit;

namespace Commerce.Jobs.Notifications.Email.Tests;

/// <summary>Outside text (job names, errors, record ids) never becomes markup, a header or a line of its own in an e-mail.</summary>
public sealed partial class EmailComposerTests
{
    private static readonly EmailComposer Composer = new(EmailTestHost.Options(25));

    /// <summary>Hostile text: markup, CR/LF/NUL and other controls, lone and paired surrogates, non-ASCII, empty, huge.</summary>
    private static Gen<string> Hostile { get; } = Gen.OneOf(
        Gen.Elements("", "<script>alert(1)</script>", "a\r\nBcc: x@evil.example", "\0", "\uD800", "\uDC00x", "😀", "é ü ß 中", "&amp;<>\"'", "\u2028\u0085\u001B[31m"),
        Gen.ArrayOf(Gen.OneOf(Gen.Elements('<', '>', '&', '"', '\'', '\r', '\n', '\0', '\t', '\u007F', '\u0085', '\uD800', '\uDC00', 'a', 'Z', ' ', 'é'), Gen.Choose(0, 0xFFFF).Select(i => (char)i)))
            .Select(chars => new string(chars)),
        Gen.Choose(4_000, 20_000).Select(n => new string('<', n)));

    [Fact]
    public void The_run_link_says_it_is_the_runs_record_on_the_dashboards_api_not_a_page()
    {
        var failure = EmailTestHost.Failure("order-export", "ERP down", EmailTestHost.Start);
        var message = Composer.Failure(failure, [], new ThrottleDecision(true, 0, null));
        var link = $"https://shop.example/jobs/api/jobs/order-export/runs/{failure.Run.RunId}";

        Assert.Contains($"The run's record (JSON) on the dashboard's API: {link}", message.TextBody, StringComparison.Ordinal);
        Assert.Contains($"<a href=\"{link}\">The run's record (JSON) on the dashboard's API</a>", message.HtmlBody, StringComparison.Ordinal);
        Assert.DoesNotContain("The run on the dashboard", message.TextBody + message.HtmlBody, StringComparison.Ordinal);
    }

    [Property(MaxTest = 200)]
    public Property Any_outside_text_makes_a_message_whose_only_markup_is_its_own() => Prop.ForAll(
        (from job in Hostile from error in Hostile from id in Hostile from recordError in Hostile select (job, error, id, recordError)).ToArbitrary(),
        c =>
        {
            var failure = EmailTestHost.Failure(c.job, c.error, EmailTestHost.Start, new RecordCounts(1, 0, 0, 1));
            var message = Composer.Failure(failure, [new RecordFailure(c.id, RecordStatus.PermanentFailure, c.recordError, 0, EmailTestHost.Start)], new ThrottleDecision(true, 3, EmailTestHost.Start));

            // Round trip through the wire format: the recipients are exactly the configured ones.
            using var stream = new MemoryStream();
            message.WriteTo(stream);
            stream.Position = 0;
            var parsed = MimeMessage.Load(stream);
            Assert.Equal(["admin@shop.example", "ops@shop.example"], parsed.To.Mailboxes.Select(m => m.Address));
            Assert.Empty(parsed.Cc);
            Assert.Empty(parsed.Bcc);
            Assert.Single(parsed.Headers, h => h.Id == HeaderId.Subject);
            var subject = parsed.Subject ?? string.Empty;
            Assert.DoesNotContain(subject, char.IsControl);
            Assert.True(WellFormed(subject), "a lone surrogate in the subject");

            // The HTML holds only the composer's own tags; the text part no NUL or CR.
            var html = parsed.HtmlBody ?? string.Empty;
            var text = parsed.TextBody ?? string.Empty;
            Assert.DoesNotMatch("[<>]", OwnTags().Replace(html, string.Empty));
            Assert.DoesNotContain("\0", text, StringComparison.Ordinal);
            Assert.DoesNotContain("\r", text.Replace("\r\n", "\n", StringComparison.Ordinal), StringComparison.Ordinal);
            Assert.Contains("3 more failed runs since", text, StringComparison.Ordinal);
        });

    [Theory]
    [InlineData("a\r\nb", "a\uFFFD\uFFFDb", "a\nb")]
    [InlineData("x\0y", "x\uFFFDy", "x\uFFFDy")]
    [InlineData("😀", "😀", "😀")]
    public void MailText_replaces_controls_and_lone_surrogates_and_keeps_line_breaks_only_in_blocks(string text, string line, string block)
    {
        Assert.Equal(line, MailText.Line(text));
        Assert.Equal(block, MailText.Block(text));
        Assert.Equal("\uFFFDz\uFFFD", MailText.Line("\uD800z\uDC00"));   // lone surrogates (not in InlineData: its metadata cannot hold them)
        Assert.StartsWith(new string('x', 200) + " … (truncated, 10000 characters)", MailText.Line(new string('x', 10_000)));
    }

    private static bool WellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    [GeneratedRegex("</?(!DOCTYPE html|html|body( style=\"font-family: sans-serif\")?|p|strong|table( cellpadding=\"4\"( border=\"1\")? style=\"border-collapse: collapse\")?|tr|th( align=\"left\" valign=\"top\")?|td|pre( style=\"white-space: pre-wrap; margin: 0\")?|a( href=\"[^\"<>]*\")?)>")]
    private static partial Regex OwnTags();
}
