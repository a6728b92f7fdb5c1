using System.Diagnostics;
using System.Text;
using Azure.Storage.Blobs;
using Commerce.Jobs.IntegrationTests.Adapters.TestSupport;

namespace Commerce.Jobs.IntegrationTests.Adapters.AzureBlob;

/// <summary>
/// Starts Azurite's blob service on 127.0.0.1 (a free port, in-memory storage) for the tests of the collection, and
/// kills it at the end. Azurite is installed by <c>eng/test.sh</c> into <c>artifacts/tools</c>; when it is missing, every
/// test of the collection fails and says how to install it.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    /// <summary>Azurite's well-known development account.</summary>
    public const string AccountName = "devstoreaccount1";

    /// <summary>Azurite's well-known development key (public, documented; not a secret).</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public const string Version = "3.35.0";

    private readonly StringBuilder _output = new();
    private Process? _process;

    public int Port { get; private set; }

    public string ConnectionString => ConnectionStringWith(AccountKey);

    public string ConnectionStringWith(string accountKey) =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={accountKey};BlobEndpoint=http://127.0.0.1:{Port}/{AccountName};";

    public BlobServiceClient Client => new(ConnectionString);

    /// <summary>Gets the path of Azurite's blob-only entry point: <c>COMMERCE_JOBS_AZURITE</c>, or where eng/test.sh installs it.</summary>
    public static string EntryPoint => Environment.GetEnvironmentVariable("COMMERCE_JOBS_AZURITE") is { Length: > 0 } path
        ? path
        : Path.Combine(RepoPaths.Root, "artifacts", "tools", "node_modules", "azurite", "dist", "src", "blob", "main.js");

    public async Task InitializeAsync()
    {
        var entry = EntryPoint;
        if (!File.Exists(entry))
        {
            throw new InvalidOperationException(
                $"Azurite is not installed ({entry} not found). Run eng/test.sh, which installs it, or: " +
                $"npm install --prefix {Path.Combine(RepoPaths.Root, "artifacts", "tools")} azurite@{Version} (Node 20), " +
                "or set COMMERCE_JOBS_AZURITE to Azurite's dist/src/blob/main.js.");
        }

        // A free port may be taken between the probe and Azurite's bind: try a few.
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePort.Next();
            StartProcess(entry);
            // Generous: Node starts slowly on a busy machine; a started Azurite ends the wait at once.
            if (await FreePort.WaitListeningAsync(Port, TimeSpan.FromMinutes(2), () => _process!.HasExited))
            {
                return;
            }

            var exited = _process!.HasExited ? $"exited with {_process.ExitCode}" : "did not listen within 2 minutes";
            await DisposeAsync();
            if (attempt == 3 || !exited.StartsWith("exited", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"Azurite on 127.0.0.1:{Port} {exited}. Output:\n{Output}");
            }
        }
    }

    private void StartProcess(string entry)
    {
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { entry, "--blobHost", "127.0.0.1", "--blobPort", Port.ToString(), "--inMemoryPersistence", "--skipApiVersionCheck", "--disableTelemetry", "--silent" })
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            _process = Process.Start(start) ?? throw new InvalidOperationException("node did not start.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"Node.js is needed to run Azurite ({ex.Message}): apt-get install -y nodejs.", ex);
        }

        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public Task DisposeAsync()
    {
        if (_process is { } process)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException)
            {
                // Exited meanwhile.
            }

            process.Dispose();
            _process = null;
        }

        return Task.CompletedTask;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
