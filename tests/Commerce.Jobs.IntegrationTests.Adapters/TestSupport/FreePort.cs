using System.Net;
using System.Net.Sockets;

namespace Commerce.Jobs.IntegrationTests.Adapters.TestSupport;

internal static class FreePort
{
    /// <summary>Returns a port on 127.0.0.1 that nothing listens on (free a moment ago).</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits until something accepts connections on 127.0.0.1:<paramref name="port"/>, or the deadline passes.</summary>
    public static async Task<bool> WaitListeningAsync(int port, TimeSpan timeout, Func<bool> gaveUp)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !gaveUp())
        {
            using var client = new TcpClient();
            try
            {
                using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await client.ConnectAsync(IPAddress.Loopback, port, attempt.Token);
                return true;
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                await Task.Delay(100);
            }
        }

        return false;
    }
}
