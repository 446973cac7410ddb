package io.nsqpush.app;

import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.nsqpush.config.InvalidValueException;
import io.nsqpush.nsq.NsqAddress;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.PropertiesComponent;

import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;

/**
 * What every subscription's HTTP delivery shares: the Netty event loops (the nsq: component's own, so that NSQ and
 * HTTP I/O share two threads instead of each having theirs) and the settings push.trust-store and push.proxy.
 *
 * @param eventLoops the I/O threads
 * @param tls        the trust for https endpoints from push.trust-store, or null for the JDK's CA list
 * @param proxy      push.proxy, or null
 */
record HttpClients(EventLoopGroup eventLoops, SslContext tls, InetSocketAddress proxy) {

    static final String BEAN = "pushHttpClients";

    /** @return the shared parts, made once per context from its settings */
    static synchronized HttpClients of(CamelContext context) {
        HttpClients clients = context.getRegistry().lookupByNameAndType(BEAN, HttpClients.class);
        if (clients == null) {
            PropertiesComponent properties = context.getPropertiesComponent();
            io.nsqpush.component.NsqComponent nsq = context.getComponent("nsq",
                    io.nsqpush.component.NsqComponent.class);
            clients = new HttpClients(nsq.eventLoops(), trust(properties), proxy(properties));
            context.getRegistry().bind(BEAN, clients);
        }
        return clients;
    }

    private static InetSocketAddress proxy(PropertiesComponent properties) {
        String proxy = properties.resolveProperty("push.proxy").orElse("").trim();
        if (proxy.isEmpty()) {
            return null;
        }
        NsqAddress address = NsqAddress.parse(proxy);
        return new InetSocketAddress(address.host(), address.port());
    }

    private static SslContext trust(PropertiesComponent properties) {
        String file = properties.resolveProperty("push.trust-store").orElse("").trim();
        if (file.isEmpty()) {
            return null;
        }
        String password = properties.resolveProperty("push.trust-store-password").orElse("");
        try (InputStream in = Files.newInputStream(Path.of(file))) {
            // since JDK 9 a PKCS12 KeyStore also reads JKS files
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password.toCharArray());
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            return SslContextBuilder.forClient().trustManager(trust).build();
        } catch (IOException | GeneralSecurityException e) {
            throw new InvalidValueException("push.trust-store", file, "cannot be read (" + e.getMessage() + ")",
                    "a PKCS12 or JKS trust store and its push.trust-store-password");
        }
    }
}
