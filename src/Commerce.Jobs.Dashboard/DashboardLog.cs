using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.Dashboard;

/// <summary>The dashboard's log: every state change, with who asked for it (an audit trail), and refused requests.</summary>
internal static partial class DashboardLog
{
    private const string Category = "Commerce.Jobs.Dashboard";

    public static void Action(HttpContext context, string action, string subject) =>
        Action(GetLogger(context), action, subject, context.User.Identity?.Name ?? "anonymous", context.Connection.RemoteIpAddress?.ToString() ?? "unknown");

    public static void RefusedNotLocal(HttpContext context, string reason) =>
        RefusedNotLocal(GetLogger(context), context.Request.Path.Value ?? string.Empty, context.Connection.RemoteIpAddress?.ToString() ?? "unknown", reason);

    [LoggerMessage(1, LogLevel.Information, "Dashboard: {Action} {Subject} by {User} from {RemoteAddress}")]
    private static partial void Action(ILogger logger, string action, string subject, string user, string remoteAddress);

    [LoggerMessage(2, LogLevel.Warning, "Dashboard: refused {Path} from {RemoteAddress}: {Reason}")]
    private static partial void RefusedNotLocal(ILogger logger, string path, string remoteAddress, string reason);

    private static ILogger GetLogger(HttpContext context) =>
        context.RequestServices.GetService<ILoggerFactory>()?.CreateLogger(Category) ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
}
