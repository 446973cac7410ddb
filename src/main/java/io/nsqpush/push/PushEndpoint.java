package io.nsqpush.push;

import org.apache.camel.Category;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.spi.EndpointServiceLocation;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.support.DefaultEndpoint;

/**
 * An HTTP endpoint that takes pushed messages: each exchange is one request (or several, when it fails and is
 * retried), in a CMQ push format. Producer only.
 */
@UriEndpoint(firstVersion = "0.1.0", scheme = "push", title = "NSQ push (HTTP)", syntax = "push:url",
             producerOnly = true, category = {Category.HTTP, Category.MESSAGING}, headersClass = PushConstants.class)
public class PushEndpoint extends DefaultEndpoint implements EndpointServiceLocation {

    @UriParam
    private PushConfiguration configuration;

    public PushEndpoint(String uri, PushComponent component, PushConfiguration configuration) {
        super(uri, component);
        this.configuration = configuration;
    }

    @Override
    public PushComponent getComponent() {
        return (PushComponent) super.getComponent();
    }

    public PushConfiguration getConfiguration() {
        return configuration;
    }

    public void setConfiguration(PushConfiguration configuration) {
        this.configuration = configuration;
    }

    @Override
    protected void doInit() throws Exception {
        super.doInit();
        configuration.validate();
    }

    @Override
    public Producer createProducer() {
        return new PushProducer(this);
    }

    @Override
    public Consumer createConsumer(Processor processor) {
        throw new UnsupportedOperationException("push: only sends: use it in a to: step");
    }

    @Override
    public String getServiceUrl() {
        return Redaction.uri(configuration.getUrl());
    }

    @Override
    public String getServiceProtocol() {
        return "http";
    }
}
