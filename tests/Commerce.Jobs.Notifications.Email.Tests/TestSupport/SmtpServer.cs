using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MimeKit;

namespace Commerce.Jobs.Notifications.Email.Tests.TestSupport;

/// <summary>
/// A real SMTP server on 127.0.0.1 for one test: Debian's python3-aiosmtpd running <c>smtp_sink.py</c> (installed by
/// eng/test.sh). It binds a port the system picks and says which (READY &lt;port&gt;), waited for; each message it accepts is read back as
/// a <see cref="MimeMessage"/>, signalled by its stdout line, never by polling. Disposing stops it.
/// </summary>
internal sealed class SmtpServer : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly string _folder;
    private readonly List<MimeMessage> _received = [];
    private readonly List<(Func<bool> Condition, TaskCompletionSource Done)> _waiters = [];
    private readonly TaskCompletionSource<int> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _refused;

    private SmtpServer(Process process, string folder)
    {
        _process = process;
        _folder = folder;
    }

    public int Port { get; private set; }

    /// <summary>Gets the messages received so far, in order.</summary>
    public IReadOnlyList<MimeMessage> Received
    {
        get
        {
            lock (_waiters)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>Gets how many messages the server refused (started with <c>refuse</c>).</summary>
    public int Refused => Volatile.Read(ref _refused);

    /// <summary>
    /// Starts a server; <paramref name="refuse"/> answers 554 to every message; <paramref name="tls"/> offers (and requires)
    /// STARTTLS with a fresh self-signed certificate; <paramref name="auth"/> requires these credentials;
    /// <paramref name="dropQuit"/> drops the connection at QUIT. A server that does not start leaves nothing behind.
    /// </summary>
    public static async Task<SmtpServer> StartAsync(bool refuse = false, bool tls = false, (string User, string Password)? auth = null, bool dropQuit = false)
    {
        var folder = Directory.CreateTempSubdirectory("commerce-jobs-smtp-").FullName;
        Process? process = null;
        try
        {
            var server = Start(folder, refuse, tls, auth, dropQuit, out process);
            server.Port = await server._ready.Task.WaitAsync(Patience);
            return server;
        }
        catch (Exception)
        {
            if (process is not null)
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // it has exited already
                }

                process.Dispose();
            }

            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }

            throw;
        }
    }

    /// <summary>A port on 127.0.0.1 that nothing listens on: a server that is down (a connection is refused).</summary>
    public static int ClosedPort()
    {
        // A port just released by a listener here: the system hands ports out in turn, so nothing takes it again soon.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static SmtpServer Start(string folder, bool refuse, bool tls, (string User, string Password)? auth, bool dropQuit, out Process? started)
    {
        started = null;
        var script = Path.Combine(AppContext.BaseDirectory, "TestSupport", "smtp_sink.py");
        var start = new ProcessStartInfo(Python(), ["-u", script, folder])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (refuse)
        {
            start.ArgumentList.Add("--refuse");
        }

        if (dropQuit)
        {
            start.ArgumentList.Add("--drop-quit");
        }

        if (tls)
        {
            var (cert, key) = SelfSignedCertificate(folder);
            start.ArgumentList.Add("--tls");
            start.ArgumentList.Add(cert);
            start.ArgumentList.Add(key);
        }

        if (auth is { } credentials)
        {
            start.ArgumentList.Add("--auth");
            start.ArgumentList.Add(credentials.User);
            start.ArgumentList.Add(credentials.Password);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start.");
        started = process;
        var server = new SmtpServer(process, folder);
        var errors = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            lock (errors)
            {
                errors.AppendLine(e.Data);
            }
        };
        process.Exited += (_, _) => server._ready.TrySetException(new InvalidOperationException(
            $"The test SMTP server exited ({process.ExitCode}) before it was ready. Is python3-aiosmtpd installed (apt-get install -y python3-aiosmtpd; eng/test.sh does)? {errors}"));
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>Waits until <paramref name="count"/> messages have arrived (bounded, never sleeps); returns them all.</summary>
    public async Task<IReadOnlyList<MimeMessage>> WaitForMessagesAsync(int count)
    {
        await WaitForAsync(() => _received.Count >= count);
        return Received;
    }

    /// <summary>Waits until <paramref name="count"/> messages have been refused.</summary>
    public Task WaitForRefusedAsync(int count) => WaitForAsync(() => Volatile.Read(ref _refused) >= count);

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();   // the script stops when its stdin closes
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string Python()
    {
        // Debian's python3 has python3-aiosmtpd; a python3 first on PATH (pyenv) may not.
        return File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
    }

    private static (string Cert, string Key) SelfSignedCertificate(string folder)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
        var certPath = Path.Combine(folder, "server.crt");
        var keyPath = Path.Combine(folder, "server.key");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath);
    }

    private Task WaitForAsync(Func<bool> condition)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            if (condition())
            {
                return Task.CompletedTask;
            }

            _waiters.Add((condition, done));
        }

        return done.Task.WaitAsync(Patience);
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (line.StartsWith("READY ", StringComparison.Ordinal))
        {
            _ready.TrySetResult(int.Parse(line["READY ".Length..], System.Globalization.CultureInfo.InvariantCulture));
            return;
        }

        lock (_waiters)
        {
            if (line.StartsWith("RECEIVED ", StringComparison.Ordinal))
            {
                using var stream = File.OpenRead(line["RECEIVED ".Length..]);
                _received.Add(MimeMessage.Load(stream));
            }
            else if (line == "REFUSED")
            {
                Interlocked.Increment(ref _refused);
            }

            foreach (var waiter in _waiters.Where(w => w.Condition()).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Done.TrySetResult();
            }
        }
    }
}
