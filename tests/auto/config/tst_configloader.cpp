#include <QtTest/QtTest>

class tst_ConfigLoader : public QObject
{
    Q_OBJECT
};

QTEST_APPLESS_MAIN(tst_ConfigLoader)

#include "tst_configloader.moc"
