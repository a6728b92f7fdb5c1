namespace Commerce.Jobs.Notifications.Email;

/// <summary>How the connection to the SMTP server is secured.</summary>
public enum EmailSecurity
{
    /// <summary>STARTTLS: connect in plain text, then upgrade to TLS before anything else is sent (port 587); the server must offer it.</summary>
    StartTls = 0,

    /// <summary>TLS from the first byte (implicit TLS, "SMTPS", port 465).</summary>
    Tls = 1,

    /// <summary>No encryption: for a local mail catcher only. Refused when credentials are set.</summary>
    None = 2,
}
