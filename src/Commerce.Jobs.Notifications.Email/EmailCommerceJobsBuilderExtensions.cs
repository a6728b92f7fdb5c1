using Commerce.Jobs.Notifications.Email;
using Commerce.Jobs.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs;

/// <summary>Adds the e-mail failure notifier to a Commerce.Jobs host.</summary>
public static class EmailCommerceJobsBuilderExtensions
{
    /// <summary>
    /// Adds a failure notifier that e-mails the administrators (MailKit over SMTP): one e-mail per failed run, with the
    /// job, site, host, time (UTC and the site's zone), trigger, error, counts, the run's first failed records and a link
    /// to the run on the dashboard; a recovery e-mail when the job runs without failing again; an e-mail when a delivery
    /// target becomes unhealthy. At most one failure e-mail per job (and per target) per <see cref="EmailNotifierOptions.ThrottlePeriod"/>,
    /// cluster-wide when the hosts share a store; the failures held back are summarised in the next e-mail.
    /// </summary>
    /// <param name="jobs">The builder.</param>
    /// <param name="configure">Sets the SMTP server, the sender, the recipients and the site.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <remarks>
    /// The options are validated at start-up. The notifier is called from the engine's notification queue, never on a
    /// run's path; a send that fails is retried after 1 s, 5 s and 30 s, then given up with a log line. A job's
    /// <c>NotifyOnFailure</c> setting switches it off for that job, as it does every notifier.
    /// </remarks>
    /// <example>
    /// <code>
    /// services.AddCommerceJobs(jobs =>
    /// {
    ///     jobs.AddEmailFailureNotifier(email =>
    ///     {
    ///         email.SmtpHost = "smtp.shop.example";
    ///         email.UserName = "jobs@shop.example";
    ///         email.Password = configuration["Smtp:Password"];
    ///         email.From = "Shop jobs &lt;jobs@shop.example&gt;";
    ///         email.To.Add("admin@shop.example");
    ///         email.SiteName = "Shop (EU)";
    ///     });
    /// });
    /// </code>
    /// </example>
    public static CommerceJobsBuilder AddEmailFailureNotifier(this CommerceJobsBuilder jobs, Action<EmailNotifierOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(configure);

        jobs.Services.AddOptions<EmailNotifierOptions>().Configure(configure).ValidateOnStart();
        jobs.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EmailNotifierOptions>, EmailNotifierOptionsValidator>());
        jobs.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IJobFailureNotifier, EmailFailureNotifier>(static services => new EmailFailureNotifier(
            services.GetRequiredService<IOptions<EmailNotifierOptions>>().Value,
            services.GetRequiredService<IOperatorStateStore>(),
            services.GetService<IRecordStore>(),
            services.GetService<TimeProvider>() ?? TimeProvider.System,
            services.GetService<ILoggerFactory>()?.CreateLogger<EmailFailureNotifier>() ?? NullLogger<EmailFailureNotifier>.Instance)));
        return jobs;
    }
}
