using Commerce.Jobs.Notifications.Email;

namespace Commerce.Jobs.Snippets.Packages;

public static class EmailReadme
{
    public static void Email(IServiceCollection services, WebApplicationBuilder builder)
    {
        #region email-usage
        services.AddCommerceJobs(jobs =>
        {
            jobs.AddEmailFailureNotifier(email =>
            {
                email.SmtpHost = "smtp.shop.example";
                email.SmtpPort = 587;
                email.Security = EmailSecurity.StartTls;
                email.UserName = builder.Configuration["Smtp:User"];
                email.Password = builder.Configuration["Smtp:Password"];
                email.From = "Shop jobs <jobs@shop.example>";
                email.To.Add("admin@shop.example");
                email.To.Add("ops@shop.example");
                email.SiteName = "Shop (EU)";                               // in every subject: useful with several webstores
                email.SiteTimeZone = "Europe/Berlin";                       // times in UTC and in the site's zone
                email.DashboardBaseAddress = new Uri("https://shop.example/jobs/");   // where MapCommerceJobs("/jobs") is
            });
            jobs.AddRecordJob<Order>("order-export").ReadFrom<PendingOrders>().DeliverTo("erp");
            jobs.AddJob<PurgeSavedCarts>("purge-saved-carts").NotifyOnFailure(false);   // nobody is mailed about this one
        });
        #endregion
    }
}
