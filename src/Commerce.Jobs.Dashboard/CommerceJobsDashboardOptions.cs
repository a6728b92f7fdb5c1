namespace Commerce.Jobs.Dashboard;

/// <summary>How <c>MapCommerceJobs</c> secures and presents the management API and the dashboard page.</summary>
/// <remarks>
/// Mapping refuses to start unless the host names an <see cref="AuthorizationPolicy"/> or explicitly opts into
/// <see cref="LocalOnly"/> access: the endpoints pause, resume and run jobs, so they are never open by default.
/// </remarks>
public sealed class CommerceJobsDashboardOptions
{
    /// <summary>Gets or sets the authorization policy every endpoint requires (page, assets and API).</summary>
    /// <value>The default value is <see langword="null"/>: no policy, which is allowed only with <see cref="LocalOnly"/>.</value>
    /// <remarks>The host registers the policy with <c>AddAuthorization</c> and calls <c>UseAuthentication</c> / <c>UseAuthorization</c>.</remarks>
    public string? AuthorizationPolicy { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether only local requests are served: from a loopback address, to a loopback
    /// host name (<c>localhost</c>, <c>127.0.0.1</c>, <c>[::1]</c>), and not forwarded by a proxy. Others get 403.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    /// <remarks>
    /// Meant for development machines and sidecar set-ups. The host-name check stops a web page that rebinds its own
    /// domain to 127.0.0.1 from reading the API; a request carrying proxy headers (<c>Forwarded</c>, <c>X-Forwarded-*</c>,
    /// <c>Via</c>, …) is refused. Never use it where a reverse proxy, port forward or tunnel on the same machine
    /// reaches the application: one that adds no such header makes every visitor look local. Name a policy there.
    /// Can be combined with a policy.
    /// </remarks>
    public bool LocalOnly { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether state-changing requests (POST, PUT, DELETE) must carry an antiforgery
    /// token in a header, as the dashboard page does. Requires <c>services.AddAntiforgery()</c>.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    /// <remarks>
    /// A script gets a token (and its cookie) from <c>GET {prefix}/api/dashboard</c> and sends it in the header that
    /// response names. Turn this off only when the API is reached with credentials a browser never sends on its own
    /// (a bearer token in an <c>Authorization</c> header), never with cookie authentication.
    /// </remarks>
    public bool RequireAntiforgeryToken { get; set; } = true;

    /// <summary>Gets or sets how often the page refreshes itself.</summary>
    /// <value>The default value is 5 seconds; 1 second to 1 hour.</value>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets the page's title (shown as text, never as markup).</summary>
    /// <value>The default value is <c>Commerce.Jobs</c>.</value>
    public string Title { get; set; } = "Commerce.Jobs";

    /// <summary>Gets or sets the largest number of runs one history request returns.</summary>
    /// <value>The default value is 200.</value>
    public int MaxRunsPerRequest { get; set; } = 200;
}
