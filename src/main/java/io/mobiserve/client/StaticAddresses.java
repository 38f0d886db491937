package io.mobiserve.client;

import com.google.common.net.InetAddresses;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * Targets that list their servers' addresses, {@code ipv4:10.0.0.1:8500,10.0.0.2:8500} (the port defaults to
 * 443): the syntax of gRPC's naming document, which the C-core based clients (Python, C++) and Node's grpc-js
 * accept and grpc-java has no resolver for. Each address is a server of its own, so a round-robin channel
 * spreads its calls over them; for tests and fixed fleets. Registered through {@code
 * META-INF/services/io.grpc.NameResolverProvider}.
 */
public final class StaticAddresses extends NameResolverProvider {
  static final String SCHEME = "ipv4";
  private static final int DEFAULT_PORT = 443;

  /** Whether {@code target} names this scheme. */
  public static boolean isStatic(String target) {
    return target.toLowerCase(Locale.ROOT).startsWith(SCHEME + ":");
  }

  /**
   * The addresses of an {@code ipv4:} target.
   *
   * @throws IllegalArgumentException naming the part that is not an IPv4 address with an optional port
   */
  public static List<InetSocketAddress> parse(String target) {
    if (!isStatic(target)) {
      throw new IllegalArgumentException("'" + target + "' is not an ipv4: target");
    }
    String list = target.substring(SCHEME.length() + 1);
    if (list.startsWith("//")) {
      throw new IllegalArgumentException("'" + target + "': write ipv4:ADDRESS:PORT,... without '//'");
    }
    List<InetSocketAddress> addresses = new ArrayList<>();
    for (String part : list.split(",", -1)) {
      addresses.add(address(target, part.strip()));
    }
    return addresses;
  }

  private static InetSocketAddress address(String target, String part) {
    int colon = part.indexOf(':');
    String host = colon < 0 ? part : part.substring(0, colon);
    // Literals only: a host name here would be looked up, which this scheme is meant not to do.
    InetAddress address = InetAddresses.isInetAddress(host) ? InetAddresses.forString(host) : null;
    if (!(address instanceof Inet4Address)) {
      throw new IllegalArgumentException("'" + host + "' in '" + target + "' is not an IPv4 address");
    }
    return new InetSocketAddress(address, colon < 0 ? DEFAULT_PORT : port(target, part.substring(colon + 1)));
  }

  private static int port(String target, String text) {
    try {
      int port = Integer.parseInt(text);
      if (port >= 1 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("'" + text + "' in '" + target + "' is not a port (1 to 65535)");
  }

  @Override
  public NameResolver newNameResolver(URI target, NameResolver.Args args) {
    return SCHEME.equalsIgnoreCase(target.getScheme()) ? new Resolver(parse(target.toString())) : null;
  }

  @Override
  public String getDefaultScheme() {
    return SCHEME;
  }

  @Override
  protected boolean isAvailable() {
    return true;
  }

  /**
   * Below DNS's 5: the registry's highest-priority provider gives the scheme of every target written without
   * one ({@code host:port}), and that must stay DNS.
   */
  @Override
  protected int priority() {
    return 3;
  }

  @Override
  public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
    return List.of(InetSocketAddress.class);
  }

  /** Resolves once, to the listed addresses, each a server of its own. */
  private static final class Resolver extends NameResolver {
    private final List<InetSocketAddress> addresses;

    Resolver(List<InetSocketAddress> addresses) {
      this.addresses = addresses;
    }

    @Override
    public String getServiceAuthority() {
      // What TLS checks the server's certificate against, unless the client overrides it: the first address.
      InetSocketAddress first = addresses.get(0);
      return first.getAddress().getHostAddress() + ":" + first.getPort();
    }

    @Override
    public void start(Listener2 listener) {
      List<EquivalentAddressGroup> servers = new ArrayList<>();
      for (InetSocketAddress address : addresses) {
        servers.add(new EquivalentAddressGroup(address));
      }
      listener.onResult(ResolutionResult.newBuilder().setAddresses(servers).build());
    }

    @Override
    public void shutdown() {}
  }
}
